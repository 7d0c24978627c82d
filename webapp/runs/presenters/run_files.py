"""The raw-file browser (/runs/<id>/files/): a run's stored files, and one of
them as scrubbed text, only ever from inside the run's folder."""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from analysis.redaction.scrub import scrub_text
from webapp.runs.models import Run, RunFile

# The raw-file browser and lazily loaded answers show at most this much of a file.
FILE_VIEW_MAX_BYTES = 256 * 1024
# A file with a NUL byte in its first block is binary and is not shown as text.
BINARY_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class FileListing:
    path: str
    name: str
    folder: str  # shown as a heading when it changes
    depth: int
    size: int


@dataclass(frozen=True)
class FileText:
    path: str
    size: int
    text: str
    truncated: bool
    binary: bool
    cap: int = FILE_VIEW_MAX_BYTES


def list_files(run: Run) -> list[FileListing]:
    """Every stored file, each folder's own files together under one heading."""
    listing = []
    for path, size in RunFile.objects.filter(run=run).values_list("path", "size"):
        folder, _, name = path.rpartition("/")
        listing.append(FileListing(path, name, folder, folder.count("/") + 1 if folder else 0, size))
    return sorted(listing, key=lambda file: (file.folder, file.name))


def read_run_file(run: Run, relpath: str) -> FileText | None:
    """At most FILE_VIEW_MAX_BYTES of one stored file, scrubbed; None unless
    `relpath` names a regular file inside the run's folder (no `..`, no
    absolute path, no symlink anywhere along the way)."""
    target = _resolve_inside(run, relpath)
    if target is None:
        return None
    try:
        descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(FILE_VIEW_MAX_BYTES)
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return FileText(relpath, size, "", size > FILE_VIEW_MAX_BYTES, True)
    # The cut may fall inside a UTF-8 sequence: decode without the final flush
    # so a half character is dropped rather than shown as garbage.
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=size <= FILE_VIEW_MAX_BYTES)
    return FileText(relpath, size, scrub_text(text), size > FILE_VIEW_MAX_BYTES, False)


def _resolve_inside(run: Run, relpath: str) -> Path | None:
    root = run.files_root
    if root is None or not _is_plain_relpath(relpath):
        return None
    # Only files ingest recorded are served: the database is the allow-list.
    if not RunFile.objects.filter(run=run, path=relpath).exists():
        return None
    current = _walk_without_symlinks(root, relpath.split("/"))
    if current is None or not current.resolve().is_relative_to(root.resolve()):
        return None
    return current


def _is_plain_relpath(relpath: str) -> bool:
    """A relative, forward-slash path with no empty, `.` or `..` part."""
    if not relpath or "\x00" in relpath or "\\" in relpath:
        return False
    parts = relpath.split("/")
    return not (PurePosixPath(relpath).is_absolute() or any(part in ("", ".", "..") for part in parts))


def _walk_without_symlinks(root: Path, parts: list[str]) -> Path | None:
    """root/parts as a regular file reached through no symlink, else None."""
    current = root
    try:
        for part in parts:
            current = current / part
            mode = os.lstat(current).st_mode
            if stat.S_ISLNK(mode):
                return None
    except OSError:
        return None
    return current if stat.S_ISREG(mode) else None
