"""The raw-file browser (/runs/<id>/files/): a run's stored files, and one of
them as scrubbed text, only ever from inside the run's folder in the store."""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousOperation
from django.core.paginator import InvalidPage, Page, Paginator

from analysis.redaction.scrub import scrub_text
from webapp.runs import storage
from webapp.runs.models import Run, RunFile

# The raw-file browser and lazily loaded answers show at most this much of a file.
FILE_VIEW_MAX_BYTES = 256 * 1024
# A file with a NUL byte in its first block is binary and is not shown as text.
BINARY_SNIFF_BYTES = 8192
# Files listed per page of the browser: a run of 25,000 files was one 5 MB page.
FILES_PAGE_SIZE = 500
# Deeper folders are indented no further (a CSS class per level, no style attribute).
MAX_INDENT_DEPTH = 8


class NoSuchFilesPage(Exception):
    """A page number that is not a whole number from 1 to the last page."""


@dataclass(frozen=True)
class FileListing:
    path: str
    name: str
    folder: str  # shown as a heading when it changes
    depth: int
    size: int

    @property
    def indent(self) -> int:
        return min(self.depth, MAX_INDENT_DEPTH)


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
    return [_listing(row) for row in _sorted_rows(run)]


def files_page(run: Run, number: str | int | None) -> Page:
    """One page of `list_files`, FILES_PAGE_SIZE files; no number is page 1. A
    page starting inside a folder repeats that folder's heading."""
    paginator = Paginator(_sorted_rows(run), FILES_PAGE_SIZE)
    try:
        page = paginator.page(1 if number in (None, "") else number)
    except InvalidPage:
        raise NoSuchFilesPage(
            f"There is no page {str(number)[:20]!r} of this run's files; pages run from 1 to {paginator.num_pages}."
        ) from None
    page.object_list = [_listing(row) for row in page.object_list]  # only this page's rows become objects
    return page


def _sorted_rows(run: Run) -> list[tuple[str, str, str, int]]:
    """(folder, name, path, size) of every file, sorted: plain tuples, since a run
    may have tens of thousands of files and a page shows only a few hundred."""
    rows = []
    for path, size in RunFile.objects.filter(run=run).order_by().values_list("path", "size"):
        folder, _, name = path.rpartition("/")
        rows.append((folder, name, path, size))
    rows.sort()
    return rows


def _listing(row: tuple[str, str, str, int]) -> FileListing:
    folder, name, path, size = row
    return FileListing(path, name, folder, folder.count("/") + 1 if folder else 0, size)


def read_run_file(run: Run, relpath: str) -> FileText | None:
    """At most FILE_VIEW_MAX_BYTES of one stored file, scrubbed, streamed from the
    store (no more than that is fetched); None unless `relpath` names a file ingest
    recorded, as a plain relative path (no `..`, no absolute path; a local store
    also refuses a symlink anywhere along the way)."""
    if not run.storage_path or not _is_plain_relpath(relpath):
        return None
    # Only files ingest recorded are served: the database is the allow-list.
    if not RunFile.objects.filter(run=run, path=relpath).exists():
        return None
    try:
        with storage.open_file(f"{run.storage_path}/{relpath}") as handle:
            size = handle.size
            data = storage.read_up_to(handle, FILE_VIEW_MAX_BYTES)
    except (OSError, SuspiciousOperation):
        return None
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return FileText(relpath, size, "", size > FILE_VIEW_MAX_BYTES, True)
    # The cut may fall inside a UTF-8 sequence: decode without the final flush
    # so a half character is dropped rather than shown as garbage.
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=size <= FILE_VIEW_MAX_BYTES)
    return FileText(relpath, size, scrub_text(text), size > FILE_VIEW_MAX_BYTES, False)


def _is_plain_relpath(relpath: str) -> bool:
    """A relative, forward-slash path with no empty, `.` or `..` part."""
    if not relpath or "\x00" in relpath or "\\" in relpath:
        return False
    parts = relpath.split("/")
    return not (PurePosixPath(relpath).is_absolute() or any(part in ("", ".", "..") for part in parts))
