"""The Celery edge of an analysis: one task per analysis, on the `analysis` queue
(CELERY_TASK_ROUTES), taking only its id. The work and its checkpoints live in
`pipeline`; this decides what a failure means for the delivery."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from webapp.analyses import pipeline
from webapp.core.task_options import carry_out, long_task

MAX_TRANSIENT_RETRIES = 5
# A queued analysis untouched this long has lost its message.
STALLED_AFTER_SECONDS = 600


@long_task()
def run_analysis(self, analysis_id: str) -> None:
    analysis = pipeline.claim(analysis_id)
    if analysis is None:
        # Held by another delivery, or finished. If held by a worker that died,
        # come back when its lease runs out.
        wait = pipeline.lease_wait_seconds(analysis_id)
        if wait is not None:
            # A new message rather than a retry: waiting spends none of the retries.
            run_analysis.apply_async(args=[analysis_id], countdown=wait + 1)
        return
    carry_out(
        self, pipeline.WORK, analysis, noun="analysis", max_retries=MAX_TRANSIENT_RETRIES,
        run=lambda final_attempt: pipeline.run(analysis, final_attempt=final_attempt),
        fail=lambda error: pipeline.fail(analysis, error),
        retry_later=pipeline.retry_later,
        model=lambda: analysis.current_model,
    )


def take_back_all() -> int:
    """For `debrief serve` when no worker runs (webapp.core.leases): expire every
    claim and send every waiting analysis again. A worker killed while the broker
    handed it a message loses that message (popped, never acknowledged nor kept),
    and duplicates are harmless. Returns how many were sent."""
    pipeline.release_all_claims()
    waiting = pipeline.stalled_ids(timedelta(0))
    for analysis_id in waiting:
        run_analysis.delay(str(analysis_id))
    return len(waiting)


@shared_task
def requeue_stalled_analyses() -> int:
    """Send again the analyses whose message was lost (the broker was down when
    they were queued) or whose worker died with no redelivery coming: queued for
    long, or running on an expired lease. Claims make a duplicate harmless."""
    stalled = pipeline.stalled_ids(timedelta(seconds=STALLED_AFTER_SECONDS))
    for analysis_id in stalled:
        run_analysis.delay(str(analysis_id))
    return len(stalled)
