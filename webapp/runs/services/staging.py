"""Turning what arrived into one staged archive per run: checking an uploaded
archive's type, and packing a folder (uploaded file by file, or on the server)
into a canonical .tar.gz so that every run goes through the reader's one
archive extractor and its limits."""

from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ARCHIVE_SIGNATURES = {
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".tar.gz": (b"\x1f\x8b",),
    ".tgz": (b"\x1f\x8b",),
}
PACKED_SUFFIX = ".tar.gz"
PACK_COMPRESSLEVEL = 1  # packing is on the upload's critical path; size matters less
MAX_PATH_CHARS = 1024
MAX_NAME_CHARS = 255
_COPY_BUFFER = 1024 * 1024
# Folders a folder upload or import leaves out, as MassGen's own `massgen share` does:
# copies of agent workspaces and dependency trees, thousands of files that are no part
# of the log (the reader never reads them) and would push a real coding run past the
# file limit. static/js/upload.js holds the same list, so the browser does not send them.
SKIPPED_FOLDERS = ("node_modules", ".venv", "workspace")


class UploadRejected(ValueError):
    """What was sent cannot become a run; the message says why, for a person."""


@dataclass(frozen=True)
class Fingerprint:
    """What identifies staged bytes: their SHA-256, and their size."""

    sha256: str
    size: int


def archive_suffix(name: str, head: bytes) -> str:
    """The archive type of an upload from its name and first bytes."""
    lowered = name.lower()
    suffix = next((suffix for suffix in ARCHIVE_SIGNATURES if lowered.endswith(suffix)), None)
    if suffix is None:
        raise UploadRejected(f"{name!r} is not a .zip, .tar.gz or .tgz archive.")
    if not head.startswith(ARCHIVE_SIGNATURES[suffix]):
        raise UploadRejected(f"{name!r} is named like a {suffix} archive but its contents are not one.")
    return suffix


def staged_name(name: str, suffix: str) -> str:
    """`name` if it is a plain, printable file name ending in `suffix`, else a stand-in."""
    plain = name.isprintable() and "/" not in name and "\\" not in name and not name.startswith(".")
    return name if plain and len(name) <= MAX_NAME_CHARS and name.lower().endswith(suffix) else f"upload{suffix}"


def safe_relative_path(name: str) -> str:
    """A sender-chosen path, accepted only if it stays inside its folder: no
    absolute paths, drive letters, backslashes, `..` or empty components."""
    if not name or len(name) > MAX_PATH_CHARS:
        raise UploadRejected(f"{name[:80]!r} is not a usable file path (empty or longer than {MAX_PATH_CHARS} characters).")
    if "\\" in name or "\x00" in name:
        raise UploadRejected(f"{name!r} contains a backslash or NUL; send paths with forward slashes.")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise UploadRejected(f"{name!r} is an absolute path; only paths inside the folder are accepted.")
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise UploadRejected(f"{name!r} leaves its folder or has an empty component.")
    if any(len(part) > MAX_NAME_CHARS for part in parts):
        raise UploadRejected(f"{name!r} has a component longer than {MAX_NAME_CHARS} characters.")
    return name


class _HashingWriter:
    def __init__(self, handle):
        self.handle = handle
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self) -> None:
        self.handle.flush()


def pack(files: Iterable[tuple[str, Path]], dest: Path) -> Fingerprint:
    """Write `(relative path, file)` pairs into `dest` as a .tar.gz whose bytes
    depend only on the paths and contents (sorted, no times or owners), so the
    same folder always has the same SHA-256."""
    with open(dest, "wb") as handle:
        writer = _HashingWriter(handle)
        with gzip.GzipFile(filename="", mode="wb", fileobj=writer, compresslevel=PACK_COMPRESSLEVEL, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as tar:
                for relpath, source in sorted(files):
                    with open(source, "rb") as content:
                        info = tarfile.TarInfo(relpath)
                        info.size = os.fstat(content.fileno()).st_size
                        info.mode = 0o644
                        tar.addfile(info, content)
    return Fingerprint(writer.hash.hexdigest(), writer.size)


def copy_hashed(source: Path, dest: Path) -> Fingerprint:
    """Copy a file, computing its SHA-256 on the way."""
    with open(source, "rb") as reader, open(dest, "wb") as handle:
        writer = _HashingWriter(handle)
        while chunk := reader.read(_COPY_BUFFER):
            writer.write(chunk)
    return Fingerprint(writer.hash.hexdigest(), writer.size)


def skipped_folder(relpath: str) -> str | None:
    """The SKIPPED_FOLDERS name a file's path runs through, if any (its own name aside)."""
    return next((part for part in relpath.split("/")[:-1] if part in SKIPPED_FOLDERS), None)


def without_skipped(files: list[tuple[str, Path]]) -> tuple[list[tuple[str, Path]], dict[str, int]]:
    """The files to keep, and how many were left out under each SKIPPED_FOLDERS name."""
    kept, skipped = [], {}
    for relpath, path in files:
        folder = skipped_folder(relpath)
        if folder is None:
            kept.append((relpath, path))
        else:
            skipped[folder] = skipped.get(folder, 0) + 1
    return kept, skipped


def describe_skipped(skipped: dict[str, int]) -> str:
    """`Left out as massgen share does: 1,204 files under node_modules/, 3 under workspace/.`"""
    parts = [f"{count:,} file{'s' if count != 1 else ''} under {name}/" for name, count in sorted(skipped.items())]
    return f"Left out as `massgen share` does: {', '.join(parts)}." if parts else ""


def folder_files(folder: Path, prefix: str) -> list[tuple[str, Path]]:
    return folder_files_skipping(folder, prefix)[0]


def folder_files_skipping(folder: Path, prefix: str) -> tuple[list[tuple[str, Path]], dict[str, int]]:
    """Every regular file under `folder` as `(prefix/relative path, path)`, and how
    many files were left out under each SKIPPED_FOLDERS name (those folders are
    counted, never read, and links inside them are not judged).
    Symbolic links elsewhere are refused rather than followed or skipped: a link could
    point anywhere on the server, and silently dropping files misleads."""
    files, skipped = [], {}
    for current, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(current)
        for name in [name for name in dirnames if name in SKIPPED_FOLDERS]:
            if not (base / name).is_symlink():
                skipped[name] = skipped.get(name, 0) + sum(len(names) for _, _, names in os.walk(base / name))
        dirnames[:] = [name for name in dirnames if name not in SKIPPED_FOLDERS]
        for name in sorted(dirnames + filenames):
            path = base / name
            if path.is_symlink():
                raise UploadRejected(f"{path.relative_to(folder)} is a symbolic link; Debrief does not follow links.")
        for name in filenames:
            path = base / name
            if path.is_file():
                files.append((f"{prefix}/{path.relative_to(folder).as_posix()}", path))
    return files, {name: count for name, count in skipped.items() if count}
