"""Safe extraction of uploaded runs (.zip, .tar.gz, .tgz).

Every member is checked against the limits below before anything is written;
a violation raises ArchiveRejected whose `limit` names the constant. Extraction
then writes only regular files and folders, counts the bytes it writes, and
removes everything it wrote if anything goes wrong."""

from __future__ import annotations

import lzma
import re
import shutil
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from analysis.massgen.errors import ArchiveRejected, RunFormatError
from analysis.massgen.layout import find_session_roots

# A real run has a few hundred files; thousands with agent workspaces.
MAX_ARCHIVE_MEMBERS = 50_000
# Uncompressed size of all members together.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
# Uncompressed / compressed size, per member (zip) and for the whole archive.
# MassGen's JSON and logs compress up to ~30:1; bombs go to 1000:1.
MAX_COMPRESSION_RATIO = 200
# Smaller members and archives are not ratio-checked: tiny repetitive files
# compress absurdly well and are harmless.
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_MEMBER_PATH_CHARS = 1_024
# A member path must be relative, without `.`/`..` segments, backslashes, NUL
# or a drive letter, so that it can only name a place inside the destination.
_SEGMENT = r"(?!\.{1,2}(?:/|$))[^/\\\x00]+"
SAFE_MEMBER_PATH = re.compile(rf"(?![A-Za-z]:){_SEGMENT}(?:/{_SEGMENT})*/?")
# Symlinks, hard links, devices and FIFOs are refused: they are how an
# archive reaches outside its destination or blocks a reader.
ALLOWED_MEMBER_TYPES = frozenset({"file", "directory"})

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
# Members are copied in pieces of this size, as shutil.copyfileobj does: a
# 1 MiB piece is a fresh mmap'd bytes object per read (page faults and zeroing
# each time), which made extracting a 234 MB run ~0.5 s slower than extractall.
_COPY_CHUNK = 64 * 1024
# What a corrupt (not hostile) archive raises while being read.
_CORRUPT = (
    tarfile.TarError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    ValueError,
    RuntimeError,  # an encrypted zip member
    NotImplementedError,  # an unsupported zip compression method
)


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    type: str  # file | directory | symlink | hardlink | device
    size: int
    compressed_size: int | None  # per member for zip; None for tar


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def _zip_type(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        return "device"
    return "directory" if info.is_dir() else "file"


def _tar_type(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "directory"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    return "device"


class _Checker:
    """Applies the limits member by member, so a bomb is refused at the first
    header that gives it away rather than after decompressing it."""

    def __init__(self, archive: Path, archive_bytes: int):
        self.archive = archive
        self.archive_bytes = max(archive_bytes, 1)
        self.count = 0
        self.total = 0

    def reject(self, limit: str, reason: str) -> ArchiveRejected:
        return ArchiveRejected(self.archive.name, limit, reason)

    def check(self, member: Member) -> None:
        self.count += 1
        if self.count > MAX_ARCHIVE_MEMBERS:
            raise self.reject("MAX_ARCHIVE_MEMBERS", f"has more than {MAX_ARCHIVE_MEMBERS} members")
        if len(member.name) > MAX_MEMBER_PATH_CHARS:
            raise self.reject("MAX_MEMBER_PATH_CHARS", f"has a member path longer than {MAX_MEMBER_PATH_CHARS} characters")
        if not SAFE_MEMBER_PATH.fullmatch(member.name):
            raise self.reject("SAFE_MEMBER_PATH", f"member {member.name!r} would be written outside the destination")
        if member.type not in ALLOWED_MEMBER_TYPES:
            raise self.reject("ALLOWED_MEMBER_TYPES", f"member {member.name!r} is a {member.type}")
        self.total += member.size
        if self.total > MAX_UNCOMPRESSED_BYTES:
            raise self.reject("MAX_UNCOMPRESSED_BYTES", f"unpacks to more than {MAX_UNCOMPRESSED_BYTES} bytes")
        if member.compressed_size is not None and member.size > RATIO_CHECK_MIN_BYTES:
            ratio = member.size / max(member.compressed_size, 1)
            if ratio > MAX_COMPRESSION_RATIO:
                raise self.reject(
                    "MAX_COMPRESSION_RATIO",
                    f"member {member.name!r} is compressed {ratio:.0f}:1 (more than {MAX_COMPRESSION_RATIO}:1)",
                )
        if self.total > RATIO_CHECK_MIN_BYTES and self.total / self.archive_bytes > MAX_COMPRESSION_RATIO:
            ratio = self.total / self.archive_bytes
            raise self.reject("MAX_COMPRESSION_RATIO", f"is compressed {ratio:.0f}:1 (more than {MAX_COMPRESSION_RATIO}:1)")


def _relative(name: str) -> str:
    """`tar -C dir .` prefixes every name with `./`; that prefix is harmless."""
    while name.startswith("./"):
        name = name[2:]
    return name


def _zip_members(bundle: zipfile.ZipFile) -> Iterator[tuple[Member, zipfile.ZipInfo]]:
    for info in bundle.infolist():
        name = _relative(info.filename)
        if name or not info.is_dir():
            yield Member(name, _zip_type(info), info.file_size, info.compress_size), info


def _tar_members(bundle: tarfile.TarFile) -> Iterator[tuple[Member, tarfile.TarInfo]]:
    while (info := bundle.next()) is not None:
        if info.isdir():
            name = _relative(info.name.rstrip("/") + "/")
            if name in ("", "./", "."):
                continue  # the archive's own top folder
        else:
            name = _relative(info.name)
        yield Member(name, _tar_type(info), info.size if info.isreg() else 0, None), info


def _open(archive: Path) -> zipfile.ZipFile | tarfile.TarFile:
    if archive.name.lower().endswith(".zip"):
        return zipfile.ZipFile(archive)
    # Stream mode: one forward pass, never seeking back through the gzip data.
    return tarfile.open(archive, "r|gz")


def _members(bundle: zipfile.ZipFile | tarfile.TarFile) -> Iterator[tuple[Member, zipfile.ZipInfo | tarfile.TarInfo]]:
    return _zip_members(bundle) if isinstance(bundle, zipfile.ZipFile) else _tar_members(bundle)


def _validate(archive: Path) -> None:
    checker = _Checker(archive, archive.stat().st_size)
    try:
        with _open(archive) as bundle:
            if isinstance(bundle, zipfile.ZipFile) and len(bundle.infolist()) > MAX_ARCHIVE_MEMBERS:
                raise checker.reject("MAX_ARCHIVE_MEMBERS", f"has more than {MAX_ARCHIVE_MEMBERS} members")
            for member, _ in _members(bundle):
                checker.check(member)
    except (*_CORRUPT, OSError) as exc:
        raise RunFormatError(archive.name, f"is not a readable archive ({exc})") from None


def _copy(source: IO[bytes], out: IO[bytes], limit: int, archive: Path, name: str) -> None:
    written = 0
    while chunk := source.read(_COPY_CHUNK):
        written += len(chunk)
        if written > limit:
            raise ArchiveRejected(archive.name, "MAX_UNCOMPRESSED_BYTES", f"member {name!r} holds more than it declares")
        out.write(chunk)


class _Writer:
    """Writes members under `dest`, remembering what it created for cleanup."""

    def __init__(self, archive: Path, dest: Path):
        self.archive = archive
        self.dest = dest.resolve()
        self.created: list[Path] = []
        # Resolved folders by member folder name: a run has thousands of files in far fewer folders.
        self._folders: dict[str, Path] = {}
        self._made: set[Path] = set()  # folders this writer created (they stay until undo)

    def _target(self, name: str) -> Path:
        folder_name, _, base = name.rstrip("/").rpartition("/")
        target = self._resolved(self._folder(folder_name), base)
        if not target.is_relative_to(self.dest) or target == self.dest:
            raise ArchiveRejected(self.archive.name, "SAFE_MEMBER_PATH", f"member {name!r} would be written outside the destination")
        return target

    def _folder(self, folder_name: str) -> Path:
        """`dest/folder_name` resolved, one part at a time on its resolved parent: one
        lstat per new folder, where resolving the whole path walked every part of it
        (a run has thousands of snapshot folders)."""
        folder = self._folders.get(folder_name)
        if folder is None:
            parent_name, _, last = folder_name.rpartition("/")
            parent = self._folder(parent_name) if parent_name else self.dest
            folder = self._folders[folder_name] = self._resolved(parent, last) if last else parent
        return folder

    @staticmethod
    def _resolved(parent: Path, part: str) -> Path:
        """`parent / part` as `resolve()` gives it, for a `parent` already resolved."""
        path = parent / part
        return path.resolve() if part in ("", ".", "..") or path.is_symlink() else path

    def folder(self, folder: Path) -> None:
        if folder in self._made:  # thousands of files share a few folders: no stat each
            return
        missing = []
        while not folder.exists():
            missing.append(folder)
            folder = folder.parent
        for path in reversed(missing):
            path.mkdir()
            self.created.append(path)
            self._made.add(path)

    def _file_and_folder(self, name: str) -> RunFormatError:
        return RunFormatError(self.archive.name, f"has a name that is both a file and a folder (member {name.rstrip('/')!r})")

    def directory(self, name: str) -> None:
        target = self._target(name)
        try:
            self.folder(target)
        except NotADirectoryError:  # a folder on its way is an earlier file member
            raise self._file_and_folder(name) from None
        if not target.is_dir():  # a file member took the name first
            raise self._file_and_folder(name)

    def file(self, name: str, source: IO[bytes], size: int) -> None:
        target = self._target(name)
        try:
            self.folder(target.parent)
            out = open(target, "xb")  # "x": a member named twice fails here, with no stat before
        except FileExistsError:
            if target.is_dir():
                raise self._file_and_folder(name) from None
            raise RunFormatError(self.archive.name, f"has member {name!r} twice") from None
        except NotADirectoryError:  # a folder on its way is an earlier file member
            raise self._file_and_folder(name) from None
        self.created.append(target)
        with out:
            _copy(source, out, size, self.archive, name)

    def undo(self) -> None:
        for path in reversed(self.created):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _extract(archive: Path, writer: _Writer) -> None:
    with _open(archive) as bundle:
        for member, info in _members(bundle):
            if member.type == "directory":
                writer.directory(member.name)
                continue
            source = bundle.open(info) if isinstance(bundle, zipfile.ZipFile) else bundle.extractfile(info)
            if source is None:
                raise RunFormatError(archive.name, f"member {member.name!r} cannot be read")
            with source:
                writer.file(member.name, source, member.size)


def extract_archive(archive: Path, dest: Path) -> Path:
    """Check every member of `archive` against the limits, then extract it
    into `dest`; returns the session root inside `dest`. Nothing is written
    unless every member passes."""
    archive = Path(archive)
    if not archive.is_file():
        raise RunFormatError(archive.name, "is not a file")
    if not is_archive(archive):
        raise RunFormatError(archive.name, f"is not one of {', '.join(ARCHIVE_SUFFIXES)}")
    _validate(archive)
    dest = Path(dest)
    writer = _Writer(archive, dest)
    writer.folder(writer.dest)
    try:
        _extract(archive, writer)
    except _CORRUPT as exc:
        writer.undo()
        raise RunFormatError(archive.name, f"cannot be extracted ({exc})") from None
    except OSError as exc:
        writer.undo()
        raise RunFormatError(archive.name, f"cannot be extracted ({exc.strerror or exc})") from None
    except BaseException:
        writer.undo()
        raise
    roots = find_session_roots(dest, archive.name)
    # Several runs (a session and its `--continue` runs) are chained by the
    # reader, which refuses them if they are not one session.
    return roots[0] if len(roots) == 1 else dest
