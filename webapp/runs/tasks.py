"""Celery tasks of the runs app (queue `ingest`). Each takes ids, not objects,
and leaves the work to a plain function that tests call directly."""

from __future__ import annotations

from celery import shared_task

from webapp.runs import folders, ingest, storage
from webapp.runs.services.retention import prune_expired

INGEST_MAX_RETRIES = 5
INGEST_RETRY_BACKOFF_MAX_SECONDS = 300
# An upload still streaming after this long is not one: its process was killed.
ABANDONED_UPLOAD_SECONDS = 24 * 60 * 60


@shared_task(
    autoretry_for=ingest.TRANSIENT_ERRORS,
    retry_backoff=True,
    retry_backoff_max=INGEST_RETRY_BACKOFF_MAX_SECONDS,
    max_retries=INGEST_MAX_RETRIES,
    soft_time_limit=ingest.INGEST_SOFT_TIME_LIMIT_SECONDS,
    time_limit=ingest.INGEST_TIME_LIMIT_SECONDS,
)
def ingest_run(run_id: str) -> None:
    if ingest.ingest_run(run_id) is None:
        # Held by another delivery. If its worker died (a redelivered message, or
        # one `debrief serve` put back), come back when that claim runs out.
        wait = ingest.claim_wait_seconds(run_id)
        if wait is not None:
            ingest_run.apply_async(args=[run_id], countdown=wait + 1)


@shared_task
def prune_expired_runs() -> None:
    """Daily (RETENTION_SWEEP_SECONDS): delete every team's runs past its retention.
    Safe to run twice at once or again after a crash: each run is claimed once."""
    prune_expired()


@shared_task
def import_server_folders() -> None:
    """Periodic (DEBRIEF_IMPORT_INTERVAL_SECONDS): import new complete sessions
    from every team's server folder."""
    folders.import_new_server_sessions()


def take_back_all() -> int:
    """For `debrief serve` when no worker runs: expire every claim and send every
    run still to ingest again (see webapp.analyses.tasks.take_back_all)."""
    ingest.release_all_claims()
    return ingest.requeue_stalled_runs(queued_for_seconds=0)


@shared_task
def recover_runs() -> None:
    """Periodic: resend runs whose task went missing, delete abandoned uploads
    and work folders (on the machine of the worker that runs it)."""
    ingest.requeue_stalled_runs()
    storage.purge_local(ABANDONED_UPLOAD_SECONDS)
