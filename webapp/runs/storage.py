"""Where runs live on disk, all under DEBRIEF_STORAGE_DIR:

    incoming/<random>.part         a request's files while they stream in
    staging/<run id>/<name>        the archive of a queued run, until ingest is done
    <team id>/<run id>/            the extracted session, every text file scrubbed of secrets (kept)

A staged archive keeps its original name because the reader's messages name it.

Staging and incoming sit on the same filesystem as the runs, so every move is
an atomic rename, and nothing is ever written outside the storage folder."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.conf import settings

INCOMING = "incoming"
STAGING = "staging"


def root() -> Path:
    return settings.DEBRIEF_STORAGE_DIR


def incoming_dir() -> Path:
    folder = root() / INCOMING
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staging_dir() -> Path:
    folder = root() / STAGING
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staging_folder(run_id) -> Path:
    return staging_dir() / str(run_id)


def staged_file(run_id, name: str) -> Path:
    """Where a run's archive waits; `name` must be a plain file name."""
    folder = staging_folder(run_id)
    folder.mkdir(exist_ok=True)
    return folder / name


def find_staged(run_id) -> Path | None:
    folder = staging_folder(run_id)
    return next(iter(sorted(folder.iterdir())), None) if folder.is_dir() else None


def run_dir(team_id, run_id) -> Path:
    return root() / str(team_id) / str(run_id)


def relative(path: Path) -> str:
    """`path` relative to the storage folder; ValueError if it lies outside."""
    return path.resolve().relative_to(root().resolve()).as_posix()


def remove(path: Path | None) -> None:
    """Delete a file or folder inside storage; refuses anything outside it."""
    if path is None or not (path.exists() or path.is_symlink()):
        return
    relative(path.parent)  # raises for a path outside storage
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def purge_incoming(max_age_seconds: float) -> int:
    """Delete request files left behind by a process killed mid-upload; returns how many."""
    cutoff = time.time() - max_age_seconds
    stale = [path for path in incoming_dir().iterdir() if path.is_file() and path.stat().st_mtime < cutoff]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
