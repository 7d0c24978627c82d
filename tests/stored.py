"""Where the local store (the default, a file:// DEBRIEF_STORAGE_URL) keeps a
run's files, for tests that look at them on disk. Tests on a bucket look through
`webapp.runs.storage` instead (tests/ingest/test_s3_storage.py)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from webapp.runs import storage


def local(name: str) -> Path:
    return settings.DEBRIEF_STORAGE_DIR / name


def files_root(run) -> Path:
    """The stored session folder of a ready run."""
    return local(run.storage_path)


def run_dir(run) -> Path:
    return local(storage.run_folder(run.team_id, run.pk))


def staging_dir(run) -> Path:
    return local(storage.staging_folder(run.pk))
