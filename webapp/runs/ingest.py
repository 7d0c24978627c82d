"""Ingest: a queued run's staged archive becomes a ready run.

`ingest_run` claims the run with a conditional UPDATE (so a redelivered task,
or a second worker, does nothing), extracts the archive with the reader's
limits into `<storage>/<team id>/<run id>/`, reads it, rewrites the stored
metadata without secrets, and writes every row pages need in one transaction.
The staged archive is then deleted: it still holds the secrets.

A run that cannot be read ends `failed` with a message for a person, without
rows or extracted files. Transient database errors release the claim and
propagate, for the task to retry."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import yaml
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone

from analysis.massgen import ArchiveRejected, RunFormatError, read_session
from analysis.massgen.metadata import MAX_CONFIG_NODES, MAX_METADATA_BYTES
from analysis.massgen.summary import summarize
from analysis.redaction.scrub import scrub, scrub_file
from webapp.core import metrics
from webapp.runs import storage
from webapp.runs.ingest_rows import build_rows, run_fields
from webapp.core.leases import LEASE_SECONDS, LeasedWork, gave_up_after_crashes
from webapp.runs.models import Attempt, Run, RunFile, RunStatus
from webapp.runs.services import enqueue_ingest

log = logging.getLogger(__name__)

# Celery limits for one ingest. The claim is a lease renewed while the worker
# reads (webapp/core/leases.py), so a killed worker's run is taken over in about
# a minute, not after the hard limit.
INGEST_SOFT_TIME_LIMIT_SECONDS = settings.DEBRIEF_INGEST_SOFT_TIME_LIMIT
INGEST_TIME_LIMIT_SECONDS = settings.DEBRIEF_INGEST_TIME_LIMIT
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
METADATA_FILE = "execution_metadata.yaml"
# A queued run older than this has probably lost its task message (broker down
# when it was sent); `requeue_stalled_runs` sends it again. Long enough that a
# merely busy queue is not flooded with duplicates (which would be harmless).
STALLED_QUEUE_SECONDS = 60 * 60

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

WORK = LeasedWork(Run, waiting=RunStatus.QUEUED, working=RunStatus.PROCESSING)


class _RunVanished(Exception):
    """The run was deleted (or finished by another worker) while being processed."""


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
    except _RunVanished:
        if not Run.objects.filter(pk=run.pk).exists():
            storage.remove(storage.run_dir(run.team_id, run.pk))
            storage.remove(storage.staging_folder(run.pk))
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
    dest = storage.run_dir(run.team_id, run.pk)
    storage.remove(dest)  # what an interrupted earlier attempt left behind
    dest.mkdir(parents=True)
    try:
        session = read_session(staged, extract_to=dest)
        root = session.root
        summary = summarize(session)
        for entry in session.iter_files():
            # Nothing with a secret in it is kept: MassGen writes API keys into the
            # metadata, and before 0.1.80 into its event streams and logs too.
            if entry.path.rsplit("/", 1)[-1] == METADATA_FILE:
                scrub_metadata_file(root / entry.path)
            else:
                scrub_file(root / entry.path)
        rows = build_rows(session, summary)
        files = [RunFile(run_id=run.pk, path=entry.path, size=entry.size) for entry in session.iter_files()]
        fields = run_fields(session, summary) | {"storage_path": storage.relative(root)}
        _store(run, fields, rows, files)
    except _RunVanished:
        raise  # the folder may now belong to whoever finished the run
    except BaseException:
        storage.remove(dest)
        raise
    storage.remove(staged.parent)


def _store(run: Run, fields: dict, rows, files: list[RunFile]) -> None:
    with transaction.atomic():
        # First, so that on PostgreSQL the run row stays locked until commit.
        updated = Run.objects.filter(pk=run.pk, status=RunStatus.PROCESSING).update(
            status=RunStatus.READY, error="", processed_at=timezone.now(), **fields
        )
        if updated != 1:
            raise _RunVanished()
        metrics.inc("debrief_runs_ingested")
        metrics.inc("debrief_ingest_bytes", run.size_bytes)
        _delete_rows(run)
        rows.save(run)
        RunFile.objects.bulk_create(files, batch_size=1000)


def _delete_rows(run: Run) -> None:
    Attempt.objects.filter(run=run).delete()  # cascades to every per-attempt row
    RunFile.objects.filter(run=run).delete()


def _fail(run: Run, message: str) -> None:
    with transaction.atomic():
        updated = Run.objects.filter(pk=run.pk, status=RunStatus.PROCESSING).update(
            status=RunStatus.FAILED, error=message, processed_at=timezone.now(), storage_path=""
        )
        if updated:
            _delete_rows(run)
    storage.remove(storage.run_dir(run.team_id, run.pk))
    storage.remove(storage.staging_folder(run.pk))
    log.info("run %s failed: %s", run.pk, message)


def _release(run: Run, claimed_at) -> None:
    try:
        # A planned retry (Celery's autoretry), not a crash: the delivery is not counted.
        Run.objects.filter(pk=run.pk, status=RunStatus.PROCESSING, claimed_at=claimed_at).update(
            status=RunStatus.QUEUED, lease_expires_at=None, deliveries=F("deliveries") - 1
        )
    except TRANSIENT_ERRORS:
        log.warning("run %s: could not release the claim; it is taken again after %ss", run.pk, LEASE_SECONDS)


def scrub_metadata_file(path: Path) -> None:
    """Rewrite an execution_metadata.yaml without secrets. MassGen copies the
    whole config into it, inline API keys included."""
    if path.is_symlink() or not path.is_file():
        return
    if path.stat().st_size > MAX_METADATA_BYTES:
        raise RunFormatError(path.name, f"is larger than {MAX_METADATA_BYTES} bytes (MAX_METADATA_BYTES)")
    try:
        document = yaml.load(path.read_bytes(), Loader=_Loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError):
        document = None  # the reader already said what is wrong with it; keep nothing
    _check_size(document, path.name)
    path.write_text(yaml.safe_dump(scrub(document), sort_keys=False, allow_unicode=True), encoding="utf-8")


def _check_size(document, name: str) -> None:
    # YAML aliases make a small file a huge tree; scrubbing copies every node.
    budget, stack = MAX_CONFIG_NODES, [document]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise RunFormatError(name, f"expands to more than {MAX_CONFIG_NODES} values (MAX_CONFIG_NODES)")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
