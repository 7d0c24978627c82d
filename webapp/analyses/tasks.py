"""The Celery edge of an analysis: one task per analysis, on the `analysis` queue
(CELERY_TASK_ROUTES), taking only its id. The work and its checkpoints live in
`pipeline`; this decides what a failure means for the delivery."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from analysis.llm.errors import TRANSIENT_ERRORS
from webapp.analyses import pipeline
from webapp.core.task_options import long_task, retry_delay

MAX_TRANSIENT_RETRIES = 5
# A queued analysis untouched this long has lost its message.
STALLED_AFTER_SECONDS = 600


@long_task(max_retries=MAX_TRANSIENT_RETRIES)
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
    final_attempt = self.request.retries >= MAX_TRANSIENT_RETRIES
    try:
        pipeline.run(analysis, final_attempt=final_attempt)
    except TRANSIENT_ERRORS as error:
        if final_attempt:
            pipeline.fail(analysis, f"{analysis.current_model} kept failing; gave up after {MAX_TRANSIENT_RETRIES} retries: {error}")
            return
        delay = retry_delay(error, self.request.retries)
        pipeline.release(analysis, f"{error}; retrying in {delay:.0f} s")
        raise self.retry(exc=error, countdown=delay)
    except SoftTimeLimitExceeded:
        pipeline.fail(analysis, f"The analysis took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")


@shared_task
def requeue_stalled_analyses() -> int:
    """Send again the analyses whose message was lost (the broker was down when
    they were queued) or whose worker died with no redelivery coming: queued for
    long, or running on an expired lease. Claims make a duplicate harmless."""
    stalled = pipeline.stalled_ids(timedelta(seconds=STALLED_AFTER_SECONDS))
    for analysis_id in stalled:
        run_analysis.delay(str(analysis_id))
    return len(stalled)
