"""Ingest: a queued run's staged archive becomes a ready run.

`ingest_run` claims the run with a conditional UPDATE (so a redelivered task,
or a second worker, does nothing), extracts the staged archive with the reader's
limits into the run's folder `<team id>/<run id>/` of the store (`storage.editing`:
a local store's folder itself; with a bucket, a work folder of this worker's own
that is uploaded, multipart for large files, and then removed), reads it and
scrubs every file of secrets, and writes every row pages need in one transaction.
The staged archive is then deleted: it still holds the secrets. With a bucket
nothing of the run stays on the worker.

A run that cannot be read ends `failed` with a message for a person, without
rows or extracted files. Transient database errors release the claim and
propagate, for the task to retry."""

from __future__ import annotations

import logging
from datetime import timedelta
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from analysis.massgen import ArchiveRejected, RunFormatError, read_session
from webapp.core import metrics
from webapp.core.leases import LEASE_SECONDS, LeasedWork, gave_up_after_crashes
from webapp.runs import storage
from webapp.runs.continuations import join_session
from webapp.runs.models import Run, RunStatus
from webapp.runs.reading import RunVanished, delete_rows, drop_beside, prepare, store
from webapp.runs.services import enqueue_ingest

log = logging.getLogger(__name__)

# Celery limits for one ingest. The claim is a lease renewed while the worker
# reads (webapp/core/leases.py), so a killed worker's run is taken over in about
# a minute, not after the hard limit.
INGEST_SOFT_TIME_LIMIT_SECONDS = settings.DEBRIEF_INGEST_SOFT_TIME_LIMIT
INGEST_TIME_LIMIT_SECONDS = settings.DEBRIEF_INGEST_TIME_LIMIT
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# A queued run older than this has probably lost its task message (broker down
# when it was sent); `requeue_stalled_runs` sends it again. Long enough that a
# merely busy queue is not flooded with duplicates (which would be harmless).
STALLED_QUEUE_SECONDS = 60 * 60

WORK = LeasedWork(Run, waiting=RunStatus.QUEUED, working=RunStatus.PROCESSING)


def ingest_run(run_id) -> Run | None:
    """Process one queued run. Returns it when this call did the work, None when
    the run is gone or someone else has it (a redelivered task)."""
    claimed_at = claim(run_id)
    if claimed_at is None:
        log.info("run %s: not queued (or already claimed); nothing to do", run_id)
        return None
    run = Run.objects.filter(pk=run_id).first()
    if run is None:
        return None
    gave_up = gave_up_after_crashes(run, "reading and storing the run")
    if gave_up:
        _fail(run, gave_up)
        return Run.objects.filter(pk=run_id).first()
    try:
        with WORK.holding(run.pk):
            _process(run)
    except TRANSIENT_ERRORS:
        _release(run, claimed_at)
        raise
    except RunVanished:
        if not Run.objects.filter(pk=run.pk).exists():
            storage.delete_folder(storage.run_folder(run.team_id, run.pk))
            storage.delete_folder(storage.staging_folder(run.pk))
        return None
    except ArchiveRejected as exc:
        _fail(run, f"The archive was refused: {exc}.")
    except RunFormatError as exc:
        _fail(run, f"This is not a MassGen run Debrief can read: {exc}.")
    except SoftTimeLimitExceeded:
        _fail(run, f"Reading this run took longer than {INGEST_SOFT_TIME_LIMIT_SECONDS} seconds, so it was stopped.")
    except Exception as exc:
        log.exception("run %s: ingest failed unexpectedly", run.pk)
        _fail(run, f"Debrief hit an unexpected error while reading this run ({type(exc).__name__}); the worker log has the details.")
    else:
        run.refresh_from_db()
        try:
            # A `massgen --continue` run and the run it continues, whichever came first.
            join_session(run)
        except Exception:
            # The run itself is ready and stays so; `debrief runs reread` joins it later.
            log.exception("run %s: ready, but could not be joined with its MassGen session", run.pk)
    run.refresh_from_db()
    return run


def claim(run_id):
    """Take a queued run (or one whose worker died mid-ingest); returns the
    claim time, or None when there is nothing to take."""
    now = timezone.now()
    return now if WORK.claim(run_id, claimed_at=now, error="") else None


def claim_wait_seconds(run_id) -> float | None:
    """How long until a processing run's claim may be taken again; None when the
    run is not processing (finished, deleted, or still queued)."""
    return WORK.wait_seconds(run_id)


def release_all_claims() -> int:
    """Expire the claim of every run being ingested (their worker is gone: see
    webapp.core.leases)."""
    return WORK.release_all()


def requeue_stalled_runs(queued_for_seconds: float = STALLED_QUEUE_SECONDS) -> int:
    """Send ingest tasks again for runs queued too long, and for runs whose
    worker died mid-ingest (their claim ran out); returns how many."""
    stalled = WORK.stalled_ids(timedelta(seconds=queued_for_seconds))
    for run in Run.objects.filter(pk__in=stalled).only("pk"):
        enqueue_ingest(run)
    return len(stalled)


def _process(run: Run) -> None:
    staged = storage.find_staged(run.pk)
    if staged is None:
        raise RunFormatError(run.original_name or "the upload", "is no longer on the server; upload it again")
    folder = storage.run_folder(run.team_id, run.pk)
    storage.delete_folder(folder)  # what an interrupted earlier attempt left behind
    try:
        # A local store is extracted into in place; a bucket through a work folder
        # of this worker's own, uploaded when the block ends and then removed.
        with storage.editing(folder) as workspace, storage.local_file(staged) as archive:
            session = read_session(archive, extract_to=workspace.path)
            drop_beside(workspace.path, session.root)
            prepared = prepare(run, session, workspace)
        store(run, prepared, expected=RunStatus.PROCESSING)
        metrics.inc("debrief_runs_ingested")
        metrics.inc("debrief_ingest_bytes", run.size_bytes)
    except RunVanished:
        raise  # the folder may now belong to whoever finished the run
    except BaseException:
        storage.delete_folder(folder)
        raise
    storage.delete_folder(storage.staging_folder(run.pk))


def _fail(run: Run, message: str) -> None:
    with transaction.atomic():
        updated = Run.objects.filter(pk=run.pk, status=RunStatus.PROCESSING).update(
            status=RunStatus.FAILED, error=message, processed_at=timezone.now(), storage_path=""
        )
        if updated:
            delete_rows(run)
    storage.delete_folder(storage.run_folder(run.team_id, run.pk))
    storage.delete_folder(storage.staging_folder(run.pk))
    log.info("run %s failed: %s", run.pk, message)


def _release(run: Run, claimed_at) -> None:
    try:
        # A planned retry (Celery's autoretry), not a crash: the delivery is not counted.
        Run.objects.filter(pk=run.pk, status=RunStatus.PROCESSING, claimed_at=claimed_at).update(
            status=RunStatus.QUEUED, lease_expires_at=None, deliveries=F("deliveries") - 1
        )
    except TRANSIENT_ERRORS:
        log.warning("run %s: could not release the claim; it is taken again after %ss", run.pk, LEASE_SECONDS)
