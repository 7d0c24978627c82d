"""Where runs are kept: Django's `default` storage (STORAGES, chosen by
DEBRIEF_STORAGE_URL: a local folder or an S3-compatible bucket, see
webapp/runs/stores.py), under these names:

    staging/<run id>/<name>      the archive of a queued run, until ingest is done
    <team id>/<run id>/...       the extracted session, every text file scrubbed of secrets (kept)

and this machine's own folder, DEBRIEF_STORAGE_DIR, which no other machine sees:

    incoming/<random>.part       a request's files while they stream in, then moved into the store
    work/<random>/               a run while a worker reads it, removed when it is done

A staged archive keeps its original name because the reader's messages name it.

Everything goes through the storage API. The one thing asked of the backend is
Django's own `path()`: a local folder has one, so a run is read in place and
files move into it by rename (incoming/ and work/ sit on the same filesystem);
a bucket has none, so a run is copied into work/ to be read."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

INCOMING = "incoming"
WORK = "work"
STAGING = "staging"
# Files sent to or fetched from the store at once: a run is often thousands of
# small files, and one request at a time to a bucket would take minutes.
TRANSFER_THREADS = 8
_COPY_BUFFER = 1024 * 1024


def store() -> Storage:
    return storages["default"]


# --- this machine's folder ----------------------------------------------------------


def root() -> Path:
    return settings.DEBRIEF_STORAGE_DIR


def incoming_dir() -> Path:
    folder = root() / INCOMING
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def work_dir() -> Path:
    folder = root() / WORK
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def work_folder() -> Iterator[Path]:
    """A folder of this machine's own, deleted with everything in it on exit."""
    with tempfile.TemporaryDirectory(dir=work_dir(), prefix="run-") as folder:
        yield Path(folder)


def purge_local(max_age_seconds: float) -> int:
    """Delete what a process killed mid-upload or mid-ingest left on this machine; returns how many."""
    cutoff = time.time() - max_age_seconds
    removed = 0
    for folder in (incoming_dir(), work_dir()):
        for path in folder.iterdir():
            if path.lstat().st_mtime >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed


# --- names in the store ---------------------------------------------------------------


def staging_folder(run_id) -> str:
    return f"{STAGING}/{run_id}"


def run_folder(team_id, run_id) -> str:
    return f"{team_id}/{run_id}"


class _LocalFile(File):
    """A file of this machine handed to the store: a local store moves it in by
    rename (Django's FileSystemStorage does so for `temporary_file_path`), a
    bucket uploads it."""

    def __init__(self, path: Path):
        super().__init__(open(path, "rb"), path.name)
        self.path = path

    def temporary_file_path(self) -> str:
        return str(self.path)


def _put(name: str, path: Path) -> None:
    with _LocalFile(path) as file:
        store().save(name, file)


def stage(run_id, name: str, path: Path) -> str:
    """Move the local file `path` into the store as the archive of `run_id`; `name`
    must be a plain file name. Returns its name in the store."""
    staged = f"{staging_folder(run_id)}/{name}"
    try:
        _put(staged, path)
    finally:
        path.unlink(missing_ok=True)  # still there when it was uploaded, not moved
    return staged


def find_staged(run_id) -> str | None:
    """The name in the store of a run's staged archive, if any."""
    try:
        _, files = store().listdir(staging_folder(run_id))
    except FileNotFoundError:
        return None
    return f"{staging_folder(run_id)}/{sorted(files)[0]}" if files else None


def publish(local_root: Path, relpaths: Iterable[str], folder: str) -> None:
    """Move the files `local_root/relpath` into the store as `folder/relpath`."""
    with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
        for _ in pool.map(lambda relpath: _put(f"{folder}/{relpath}", local_root / relpath), relpaths):
            pass


def delete_folder(folder: str) -> None:
    """Delete everything stored under `folder` (a run, or its staging)."""
    store().delete_folder(folder)


def open_file(name: str) -> File:
    """A stored file, to read as a stream; `.size` is its whole size. Raises
    OSError (FileNotFoundError) when there is no such regular file."""
    return store().open(name, "rb")


def read_up_to(handle, limit: int) -> bytes:
    """At most `limit` bytes from the start of a stream (a network body may
    return fewer than asked for before its end)."""
    chunks, remaining = [], limit
    while remaining > 0:
        chunk = handle.read(min(remaining, _COPY_BUFFER))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _local_path(name: str) -> Path | None:
    try:
        return Path(store().path(name))
    except NotImplementedError:  # a bucket: nothing to read in place
        return None


def _fetch(name: str, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open_file(name) as source, open(dest, "xb") as target:
        while chunk := source.read(_COPY_BUFFER):
            target.write(chunk)


@contextmanager
def local_file(name: str) -> Iterator[Path]:
    """A stored file as a file of this machine, with its own name, for as long as
    the block runs."""
    path = _local_path(name)
    if path is not None:
        yield path
        return
    with work_folder() as folder:
        copy = folder / PurePosixPath(name).name
        _fetch(name, copy)
        yield copy


@contextmanager
def local_folder(folder: str, relpaths: Iterable[str]) -> Iterator[Path]:
    """The stored folder `folder` (its files `relpaths`) as a folder of this
    machine with the same last name, for as long as the block runs."""
    path = _local_path(folder)
    if path is not None:
        yield path
        return
    with work_folder() as work:
        copy = work / PurePosixPath(folder).name
        copy.mkdir()
        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
            for _ in pool.map(lambda relpath: _fetch(f"{folder}/{relpath}", copy / relpath), list(relpaths)):
                pass
        yield copy


class Workspace:
    """A stored folder (`folder`, a name in the store) as the local folder `path`,
    which has the same last name (the reader names a session after it)."""

    def __init__(self, folder: str, path: Path):
        self.folder, self.path = folder, path

    def name_of(self, local: Path) -> str:
        """The name in the store of `local`, a path inside the workspace."""
        inside = local.resolve().relative_to(self.path.resolve()).as_posix()
        return self.folder if inside == "." else f"{self.folder}/{inside}"


def _tree(folder: str) -> Iterator[str]:
    """Every file stored under `folder`, relative to it."""
    try:
        folders, files = store().listdir(folder)
    except FileNotFoundError:
        return
    yield from files
    for sub in folders:
        yield from (f"{sub}/{name}" for name in _tree(f"{folder}/{sub}"))


def _local_files(root: Path) -> list[str]:
    return [
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
    ]


@contextmanager
def editing(folder: str) -> Iterator[Workspace]:
    """A stored folder to read and change on this machine: a local store's own
    folder, changed in place; else a copy in a work folder, and when the block
    ends without an error the store is made to hold what the copy then holds
    (new and changed files uploaded first, then the ones gone deleted, so a
    reader never finds a file missing that it was told of), and the copy removed."""
    path = _local_path(folder)
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield Workspace(folder, path)
        return
    with work_folder() as work:
        copy = work / PurePosixPath(folder).name
        copy.mkdir()
        before = list(_tree(folder))
        with ThreadPoolExecutor(TRANSFER_THREADS) as pool:
            for _ in pool.map(lambda relpath: _fetch(f"{folder}/{relpath}", copy / relpath), before):
                pass
        yield Workspace(folder, copy)
        after = _local_files(copy)
        publish(copy, after, folder)
        for gone in sorted(set(before) - set(after)):
            store().delete(f"{folder}/{gone}")


def session_folder(run) -> Iterator[Path]:
    """A ready run's stored session as a local folder for the reader (see local_folder)."""
    return local_folder(run.storage_path, run.files.values_list("path", flat=True).iterator())


def check() -> None:
    """Raise when the store cannot be reached (for the health check)."""
    store().exists(".healthz")
