"""Creating and deleting runs. A new run is registered `queued` with its bytes
staged in the store (webapp/runs/storage.py), and its ingest is enqueued once the row is committed."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

from django.db import IntegrityError, transaction

from webapp.audit.models import Action
from webapp.audit.services import record
from webapp.celery import app as celery_app
from webapp.runs import storage
from webapp.runs.models import Run, RunSource
from webapp.runs.services.staging import (
    ARCHIVE_SIGNATURES,
    PACKED_SUFFIX,
    Fingerprint,
    UploadRejected,
    archive_suffix,
    copy_hashed,
    folder_files_skipping,
    pack,
    safe_relative_path,
    staged_name,
    without_skipped,
)
from webapp.runs.uploads import HEAD_BYTES, StagedUpload

# `actor` not given: the audit log names the user who sent the files.
USER = object()


def do_create_run_from_upload(team, user, uploads: list[StagedUpload], *, source: str = RunSource.UPLOAD, actor=USER) -> tuple[Run, bool]:
    """A run from what a request sent: one .zip/.tar.gz/.tgz archive, or the
    files of a `log_*` folder, each named by its relative path. Returns
    `(run, created)`; bytes the team already has give that run back. `actor`
    is who the audit log names (an API token), by default `user`."""
    actor = user if actor is USER else actor
    if not uploads:
        raise UploadRejected("No file was sent.")
    try:
        # A folder's files always come with their folder in the path.
        name = uploads[0].relative_path
        if len(uploads) == 1 and ("/" not in name or name.lower().endswith(tuple(ARCHIVE_SIGNATURES))):
            return _from_archive(team, user, uploads[0], source, actor)
        return _from_folder_upload(team, user, uploads, source, actor)
    finally:
        for upload in uploads:
            upload.close()


def do_import_folder(team, path: Path | str, user=None, *, source: str = RunSource.FOLDER, source_path: str = "", enqueue: bool = True,
                     actor=USER) -> tuple[Run, bool]:
    """A run from a `log_*` folder on this machine, copied into storage; the
    folder itself is only read. `enqueue=False` leaves the run queued for a
    caller that ingests it right away (the demo)."""
    folder = Path(path)
    if folder.is_symlink() or not folder.is_dir():
        raise UploadRejected(f"{folder} is not a folder.")
    files, skipped = folder_files_skipping(folder, folder.name)
    if not files:
        raise UploadRejected(f"{folder} holds no files" + (f" outside {', '.join(sorted(skipped))}." if skipped else "."))
    run_id = uuid.uuid4()
    fingerprint = _pack_staged(run_id, folder.name, files, str(folder))
    return _register(team, user, run_id, fingerprint, source=source, original_name=folder.name, source_path=source_path,
                     enqueue=enqueue, skipped=skipped, actor=actor)


def do_import_path(team, path: Path | str, user=None, *, source: str = RunSource.FOLDER, enqueue: bool = True) -> tuple[Run, bool]:
    """A run from a folder or a .zip/.tar.gz/.tgz archive on this machine; either is only read."""
    path = Path(path)
    if path.is_symlink() or not path.is_file():
        return do_import_folder(team, path, user, source=source, enqueue=enqueue)
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise UploadRejected(f"{path} could not be read ({exc.strerror or exc}).") from None
    suffix = archive_suffix(path.name, head)
    run_id = uuid.uuid4()
    copy = _scratch_file()
    try:
        fingerprint = copy_hashed(path, copy)
    except OSError as exc:
        copy.unlink(missing_ok=True)
        raise UploadRejected(f"{path} could not be read ({exc.strerror or exc}).") from None
    _stage(run_id, staged_name(path.name, suffix), copy)
    return _register(team, user, run_id, fingerprint, source=source, original_name=path.name, enqueue=enqueue)


def do_delete_run(run: Run, actor=None, *, reason: str = "") -> None:
    """Delete a run, its rows and its stored files (its objects, in a bucket).
    `actor` and `reason` are for the audit log (None: a command on the server)."""
    folder, staged = storage.run_folder(run.team_id, run.pk), storage.staging_folder(run.pk)
    with transaction.atomic():
        record(run.team_id, actor, Action.RUN_DELETED, f"run {run.pk}", name=run.original_name,
               **({"reason": reason} if reason else {}))
        run.delete()

    def remove_files():
        storage.delete_folder(folder)
        storage.delete_folder(staged)

    transaction.on_commit(remove_files)


# Sent by name: webapp.runs.tasks imports this module (through folders and
# ingest), so importing it back would make a ring. CELERY_TASK_ROUTES routes by name.
INGEST_TASK = "webapp.runs.tasks.ingest_run"


def enqueue_ingest(run: Run) -> None:
    run_id = str(run.pk)
    # robust: with the broker down the run stays queued and `requeue_stalled_runs` sends it later.
    transaction.on_commit(lambda: send_ingest(run_id), robust=True)


def send_ingest(run_id: str) -> None:
    celery_app.send_task(INGEST_TASK, args=[run_id])


def _from_archive(team, user, upload: StagedUpload, source: str, actor) -> tuple[Run, bool]:
    name = os.path.basename(upload.relative_path)
    suffix = archive_suffix(name, upload.head)
    run_id = uuid.uuid4()
    _stage(run_id, staged_name(name, suffix), Path(upload.temporary_file_path()))
    return _register(team, user, run_id, Fingerprint(upload.sha256, upload.size), source=source, original_name=name, actor=actor)


def _from_folder_upload(team, user, uploads: list[StagedUpload], source: str, actor) -> tuple[Run, bool]:
    paths = [safe_relative_path(upload.relative_path) for upload in uploads]
    if len(set(paths)) != len(paths):
        raise UploadRejected("The same file path was sent twice.")
    tops = {path.split("/", 1)[0] for path in paths}
    run_id = uuid.uuid4()
    files, skipped = without_skipped([(path, Path(upload.temporary_file_path())) for path, upload in zip(paths, uploads)])
    if not files:
        raise UploadRejected(f"The folder holds no files outside {', '.join(sorted(skipped))}.")
    original_name = tops.pop() if len(tops) == 1 else "folder"
    fingerprint = _pack_staged(run_id, original_name, files, "the uploaded folder")
    return _register(team, user, run_id, fingerprint, source=source, original_name=original_name, skipped=skipped, actor=actor)


def _scratch_file() -> Path:
    """A new empty file of this machine's, for bytes on their way into the store."""
    descriptor, name = tempfile.mkstemp(dir=storage.incoming_dir(), prefix="staging-", suffix=".part")
    os.close(descriptor)
    return Path(name)


def _stage(run_id, name: str, path: Path) -> None:
    """`path` into the store as the run's archive; the local file is gone after."""
    try:
        storage.stage(run_id, name, path)
    except BaseException:
        storage.delete_folder(storage.staging_folder(run_id))
        raise


def _pack_staged(run_id, name: str, files: list[tuple[str, Path]], what: str) -> Fingerprint:
    packed = _scratch_file()
    try:
        fingerprint = pack(files, packed)
    except OSError as exc:
        packed.unlink(missing_ok=True)
        raise UploadRejected(f"{what} could not be read ({exc.strerror or exc}).") from None
    except BaseException:
        packed.unlink(missing_ok=True)
        raise
    _stage(run_id, staged_name(name + PACKED_SUFFIX, PACKED_SUFFIX), packed)
    return fingerprint


def _register(team, user, run_id, fingerprint: Fingerprint, *, source: str, original_name: str, source_path: str = "",
              enqueue: bool = True, skipped: dict[str, int] | None = None, actor=USER) -> tuple[Run, bool]:
    created = False
    try:
        existing = Run.objects.filter(team=team, sha256=fingerprint.sha256).first()
        if existing is None:
            try:
                with transaction.atomic():
                    run = Run.objects.create(
                        id=run_id, team=team, created_by=user, source=source, original_name=original_name[:255],
                        source_path=source_path, sha256=fingerprint.sha256, size_bytes=fingerprint.size,
                        skipped_files=skipped or {},
                    )
                    uploaded = source in (RunSource.UPLOAD, RunSource.API)
                    record(team, user if actor is USER else actor, Action.RUN_UPLOADED if uploaded else Action.RUN_IMPORTED,
                           f"run {run.pk}", name=run.original_name, source=source, size_bytes=fingerprint.size)
                    if enqueue:
                        enqueue_ingest(run)
                created = True
                return run, True
            except IntegrityError:  # the same bytes, registered concurrently
                existing = Run.objects.get(team=team, sha256=fingerprint.sha256)
        if source_path and not existing.source_path:
            # Remember where it is on the server, so the folder shows as imported.
            Run.objects.filter(pk=existing.pk, source_path="").update(source_path=source_path)
        return existing, False
    finally:
        if not created:
            storage.delete_folder(storage.staging_folder(run_id))
