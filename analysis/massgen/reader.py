"""read_session: a MassGen session folder or archive -> `Session`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from analysis.massgen.archive import ARCHIVE_SUFFIXES, extract_archive, is_archive
from analysis.massgen.attempt import read_attempt
from analysis.massgen.errors import RunFormatError
from analysis.massgen.layout import MAX_CHAINED_RUNS, TurnFolder, find_session_roots, list_turns, refuse_several
from analysis.massgen.model import RunFiles, Session, TextRef, Turn, join_path
from analysis.massgen.session_ids import recorded_session_id, session_id_from_folder_name
from analysis.massgen.session_links import carry_forward
from analysis.massgen.snapshots import scan_finals


# What `massgen logs analyze --mode self` writes into a turn folder.
ANALYSIS_REPORT_NAME = "ANALYSIS_REPORT.md"


def _common_parent(roots: list[Path]) -> Path:
    return Path(os.path.commonpath([str(root.parent) for root in roots]))


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


def _read(files: RunFiles, session_id: str, roots: list[Path] | None = None) -> Session:
    """`roots`: several runs below `files.root` read as one session (a run and
    its `massgen --continue` runs), else the session root is `files.root`."""
    turn_folders, warnings = _list_all_turns(files, roots)
    turns = []
    for turn in turn_folders:
        finals = scan_finals(files, turn.folder)
        last = len(turn.attempts) - 1
        attempts = tuple(
            read_attempt(files, folder, number, index == last, finals, turn.borrowed if index == 0 else None)
            for index, (number, folder) in enumerate(turn.attempts)
        )
        turns.append(Turn(turn.number, attempts, _analysis_report(files, turn.folder)))
    if not turns:
        raise RunFormatError(session_id, "has no readable turn folder")
    turns = carry_forward(turns)
    version = next((attempt.massgen_version for turn in turns for attempt in turn.attempts if attempt.massgen_version), None)
    massgen_id, continues = _massgen_session(files, turn_folders, (roots or [files.root])[0].name)
    return Session(
        session_id=session_id, massgen_version=version, turns=tuple(turns), warnings=tuple(warnings), files=files,
        massgen_session_id=massgen_id, continues_session_id=continues,
    )


def _massgen_session(files: RunFiles, turn_folders: list[TurnFolder], folder_name: str) -> tuple[str | None, str | None]:
    """(the MassGen session the run belongs to, the same id again when the run
    continues it). A run continues a session when it does not hold turn 1 and
    records the session it was started for (`massgen --continue`, 0.1.97)."""
    first = turn_folders[0]
    recorded = recorded_session_id(files.resolve(first.borrowed or first.attempts[0][1]))
    if first.number > 1:
        return recorded, recorded
    return recorded or session_id_from_folder_name(folder_name), None


def _list_all_turns(files: RunFiles, roots: list[Path] | None) -> tuple[list[TurnFolder], list[str]]:
    if not roots:
        return list_turns(files.root)
    listed: list[TurnFolder] = []
    warnings = [f"{len(roots)} runs read as one session: {', '.join(root.name for root in roots)} (`massgen --continue`)"]
    for root in roots:
        turns, notes = list_turns(root, files.root)
        listed += turns
        warnings += notes
    return listed, warnings


def _analysis_report(files: RunFiles, turn_folder: str) -> TextRef | None:
    path = files.resolve(join_path(turn_folder, ANALYSIS_REPORT_NAME))
    if not path.is_file() or path.is_symlink():
        return None
    return TextRef(files, join_path(turn_folder, ANALYSIS_REPORT_NAME), path.stat().st_size)


def _chain(roots: list[Path], shown_as: str) -> list[Path]:
    """Several runs found together are one session only when each one after
    the first continues it (its turns start after the previous run's last)."""
    if len(roots) > MAX_CHAINED_RUNS:
        raise refuse_several(roots, shown_as)
    numbered = []
    for root in roots:
        numbers = [turn.number for turn in list_turns(root)[0]]
        if not numbers:
            raise refuse_several(roots, shown_as)
        numbered.append((min(numbers), max(numbers), root.name, root))
    # In turn order, not name order: a continuation Debrief stored beside the run
    # it continues (webapp/runs/continuations.py) may sort before it by name.
    numbered.sort()
    last_turn = 0
    for index, (first, last, _, _) in enumerate(numbered):
        if index and first <= last_turn:
            raise refuse_several(roots, shown_as)
        last_turn = last
    return [root for *_, root in numbered]


def _read_folder(folder: Path, shown_as: str, session_id: str, keepalive: object | None = None) -> Session:
    roots = find_session_roots(folder, shown_as)
    if len(roots) > 1:
        chained = _chain(roots, shown_as)
        return _read(RunFiles(_common_parent(chained), keepalive), chained[0].name, chained)
    root = roots[0]
    return _read(RunFiles(root, keepalive), session_id if root == folder else root.name)


def read_session(path: Path, *, extract_to: Path | None = None, session_id: str | None = None) -> Session:
    """Read a session folder (`log_YYYYMMDD_HHMMSS_ffffff/`, or a folder with
    exactly one such run inside) or a .zip/.tar.gz/.tgz archive of one.

    An archive is checked against the limits in `analysis.massgen.archive`
    before anything is written, then extracted into `extract_to`, or else into
    a temporary folder that lives as long as the returned Session (or any
    text reference taken from it). Raises RunFormatError (ArchiveRejected for
    a hostile archive) naming the file and the reason. `session_id` names a
    folder whose own name is not the session's (a stored run's folder)."""
    path = Path(path)
    if path.is_dir():
        return _read_folder(path, path.name, session_id or path.name)
    if not path.exists():
        raise RunFormatError(str(path), "does not exist")
    if not is_archive(path):
        raise RunFormatError(path.name, f"is neither a session folder nor a {'/'.join(ARCHIVE_SUFFIXES)} archive")
    if extract_to is not None:
        root = extract_archive(path, extract_to)
        return _read_folder(root, path.name, root.name if root != Path(extract_to) else _archive_stem(path))
    extraction = _ExtractionDir()
    try:
        root = extract_archive(path, extraction.path)
        session_id = _archive_stem(path) if root == extraction.path else root.name
        return _read_folder(root, path.name, session_id, keepalive=extraction)
    except BaseException:
        extraction.remove()
        raise

