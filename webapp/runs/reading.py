"""From a session folder on disk to a run's rows: the one code path that an
ingest (a staged archive just extracted), a re-read of stored files (`debrief
runs reread`, after a reader fix) and the joining of a `--continue` run with
the run it continues all go through.

`prepare` scrubs the session's files in place and builds every row outside any
transaction; `store` then replaces the run's rows in one transaction, only if
the run is still in the state the caller expects."""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml
from django.apps import apps
from django.db import transaction
from django.utils import timezone

from analysis.massgen import Session, read_session
from analysis.massgen.errors import RunFormatError
from analysis.massgen.metadata import MAX_CONFIG_NODES, MAX_METADATA_BYTES
from analysis.massgen.summary import summarize
from analysis.redaction.scrub import scrub, scrub_file
from webapp.runs import storage
from webapp.runs.ingest_rows import RunRows, build_rows, run_fields
from webapp.runs.models import Attempt, AttemptRow, Run, RunFile, RunStatus

log = logging.getLogger(__name__)

METADATA_FILE = "execution_metadata.yaml"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RunVanished(Exception):
    """The run was deleted (or changed state under another worker) while being read."""


@dataclass
class Prepared:
    fields: dict
    rows: RunRows
    files: list[RunFile]


def prepare(run: Run, session: Session, workspace: storage.Workspace) -> Prepared:
    """Scrub the session's files (read from `workspace`, see `storage.editing`) and
    build the run's rows from them."""
    root = session.root
    summary = summarize(session)
    scrub_session(session)
    rows = build_rows(session, summary)
    files = [RunFile(run_id=run.pk, path=entry.path, size=entry.size) for entry in session.iter_files()]
    fields = run_fields(session, summary) | {"storage_path": workspace.name_of(root)}
    return Prepared(fields, rows, files)


def store(run: Run, prepared: Prepared, *, expected: str) -> None:
    """Replace the run's rows, and mark it ready, if it is still `expected`."""
    with transaction.atomic():
        # First, so that on PostgreSQL the run row stays locked until commit.
        updated = Run.objects.filter(pk=run.pk, status=expected).update(
            status=RunStatus.READY, error="", processed_at=timezone.now(), **prepared.fields
        )
        if updated != 1:
            raise RunVanished()
        # Attempt rows that are read again keep their id (analyses of an attempt point at it).
        existing = dict(((turn, number), pk) for pk, turn, number in Attempt.objects.filter(run=run).values_list("pk", "turn", "attempt"))
        kept = {key for key in existing if key in {(item.attempt.turn, item.attempt.attempt) for item in prepared.rows.attempts}}
        _delete_attempt_rows(run)
        Attempt.objects.filter(run=run).exclude(pk__in=[existing[key] for key in kept]).delete()
        RunFile.objects.filter(run=run).delete()
        prepared.rows.save(run, {key: existing[key] for key in kept})
        RunFile.objects.bulk_create(prepared.files, batch_size=1000)


def delete_rows(run: Run) -> None:
    Attempt.objects.filter(run=run).delete()  # cascades to every per-attempt row
    RunFile.objects.filter(run=run).delete()


def _delete_attempt_rows(run: Run) -> None:
    for model in apps.get_app_config("runs").get_models():
        if issubclass(model, AttemptRow):
            model.objects.filter(run=run).delete()


def reread_run(run: Run) -> Run:
    """Read a ready run again from its stored files, through the ingest's code,
    so runs ingested by an older reader get today's figures (unknown figures as
    NULL, restarts, retries, session links). Raises RunFormatError when the
    stored files no longer read (the run is left as it was). What an older
    ingest kept beside the session in the run's folder goes (see drop_beside)."""
    if run.status != RunStatus.READY or not run.storage_path or not run.files.exists():
        raise RunFormatError(str(run.pk), "is not a ready run with stored files")
    folder = storage.run_folder(run.team_id, run.pk)
    inside = PurePosixPath(run.storage_path).relative_to(folder) if PurePosixPath(run.storage_path).is_relative_to(folder) else None
    with storage.editing(folder if inside is not None else run.storage_path) as workspace:
        root = workspace.path / inside if inside is not None else workspace.path
        drop_beside(workspace.path, root)
        session = read_session(root, session_id=run.session_id or None)
        prepared = prepare(run, session, workspace)
    store(run, prepared, expected=RunStatus.READY)
    run.refresh_from_db()
    return run


def drop_beside(folder: Path, root: Path) -> int:
    """Remove what `folder` holds beside the session `root` inside it (an archive's
    notes, a second tool's output): it is no part of the run (never listed, shown
    or analysed), and it is not scrubbed, so kept it would store whatever secrets
    it holds. Keeps `root`, what is in it, and the folders leading to it; returns
    how many entries went."""
    folder, keep = folder.resolve(), root.resolve()
    if not keep.is_relative_to(folder):
        raise ValueError(f"{root} is not inside {folder}")
    dropped = 0
    while keep != folder:
        with os.scandir(keep.parent) as entries:
            beside = [entry for entry in entries if entry.name != keep.name]
        for entry in beside:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            dropped += 1
        keep = keep.parent
    return dropped


def scrub_session(session: Session) -> None:
    """Rewrite every file of an extracted session without secrets: MassGen writes API
    keys into the metadata, and before 0.1.80 into its event streams and logs too.
    What is stored and what is estimated from an archive both go through this."""
    for entry in session.iter_files():
        if entry.path.rsplit("/", 1)[-1] == METADATA_FILE:
            scrub_metadata_file(session.root / entry.path)
        else:
            scrub_file(session.root / entry.path)


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
