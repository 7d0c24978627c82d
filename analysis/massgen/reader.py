"""read_session: a MassGen session folder or archive -> `Session`."""

from __future__ import annotations

import tempfile
from pathlib import Path

from analysis.massgen.archive import ARCHIVE_SUFFIXES, extract_archive, is_archive
from analysis.massgen.attempt import read_attempt
from analysis.massgen.errors import RunFormatError
from analysis.massgen.layout import find_session_root, list_turns
from analysis.massgen.model import RunFiles, Session, Turn
from analysis.massgen.snapshots import scan_finals


class _ExtractionDir:
    """A temporary extraction folder, removed once nothing refers to it."""

    def __init__(self) -> None:
        self._handle = tempfile.TemporaryDirectory(prefix="debrief-run-")
        self.path = Path(self._handle.name)

    def remove(self) -> None:
        self._handle.cleanup()


def _archive_stem(archive: Path) -> str:
    name = archive.name
    for suffix in ARCHIVE_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _read(files: RunFiles, session_id: str) -> Session:
    turn_folders, warnings = list_turns(files.root)
    turns = []
    for turn in turn_folders:
        finals = scan_finals(files, turn.folder)
        last = len(turn.attempts) - 1
        attempts = tuple(
            read_attempt(files, folder, number, index == last, finals) for index, (number, folder) in enumerate(turn.attempts)
        )
        turns.append(Turn(turn.number, attempts))
    if not turns:
        raise RunFormatError(session_id, "has no readable turn folder")
    version = next((attempt.massgen_version for turn in turns for attempt in turn.attempts if attempt.massgen_version), None)
    return Session(session_id=session_id, massgen_version=version, turns=tuple(turns), warnings=tuple(warnings), files=files)


def read_session(path: Path, *, extract_to: Path | None = None) -> Session:
    """Read a session folder (`log_YYYYMMDD_HHMMSS_ffffff/`, or a folder with
    exactly one such run inside) or a .zip/.tar.gz/.tgz archive of one.

    An archive is checked against the limits in `analysis.massgen.archive`
    before anything is written, then extracted into `extract_to`, or else into
    a temporary folder that lives as long as the returned Session (or any
    text reference taken from it). Raises RunFormatError (ArchiveRejected for
    a hostile archive) naming the file and the reason."""
    path = Path(path)
    if path.is_dir():
        root = find_session_root(path, path.name)
        return _read(RunFiles(root), root.name)
    if not path.exists():
        raise RunFormatError(str(path), "does not exist")
    if not is_archive(path):
        raise RunFormatError(path.name, f"is neither a session folder nor a {'/'.join(ARCHIVE_SUFFIXES)} archive")
    if extract_to is not None:
        root = extract_archive(path, extract_to)
        return _read(RunFiles(root), root.name if root != Path(extract_to) else _archive_stem(path))
    extraction = _ExtractionDir()
    try:
        root = extract_archive(path, extraction.path)
        session_id = _archive_stem(path) if root == extraction.path else root.name
        return _read(RunFiles(root, keepalive=extraction), session_id)
    except BaseException:
        extraction.remove()
        raise

