"""Where a session's turns and attempts are: `log_*/turn_N/attempt_M/`.

A session root is the folder holding `turn_N` folders. Users point at it, at a
folder above it (`.massgen/massgen_logs/` with one run), or upload an archive
of any of these, so the root is searched for a few levels down."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from analysis.massgen.errors import RunFormatError

_TURN = re.compile(r"^turn_(\d{1,9})$")
_ATTEMPT = re.compile(r"^attempt_(\d{1,9})$")
# How far below the given folder a session root is looked for.
MAX_ROOT_SEARCH_DEPTH = 4
# Folders looked at while searching; an archive of a whole home directory is not a run.
MAX_ROOT_SEARCH_FOLDERS = 10_000
MAX_TURNS = 1_000
MAX_ATTEMPTS_PER_TURN = 100
# A turn folder without attempt_M folders but with these files is read as its only attempt.
_ATTEMPT_FILES = ("status.json", "execution_metadata.yaml", "events.jsonl", "streaming_debug.log", "coordination_events.json")


@dataclass(frozen=True, slots=True)
class TurnFolder:
    number: int
    folder: str  # relative to the session root
    attempts: tuple[tuple[int, str], ...]  # (number, folder relative to the session root)


def _numbered(directory: Path, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    try:
        with os.scandir(directory) as entries:
            found = [
                (int(match.group(1)), entry.name)
                for entry in entries
                if entry.is_dir(follow_symlinks=False) and (match := pattern.match(entry.name))
            ]
    except OSError:
        return []
    return sorted(found)


def _is_session_root(directory: Path) -> bool:
    return bool(_numbered(directory, _TURN))


def find_session_root(directory: Path, shown_as: str) -> Path:
    """The one session root at or below `directory`; `shown_as` names it in errors."""
    if _is_session_root(directory):
        return directory
    found, complete = search_folders(
        directory, _is_session_root, max_depth=MAX_ROOT_SEARCH_DEPTH, max_folders=MAX_ROOT_SEARCH_FOLDERS, nearest_only=True
    )
    if not complete:
        raise RunFormatError(shown_as, f"has more than {MAX_ROOT_SEARCH_FOLDERS} folders and no MassGen run near its top")
    if not found:
        raise RunFormatError(shown_as, "holds no MassGen run (no folder with turn_N sub-folders)")
    if len(found) > 1:
        names = ", ".join(sorted(path.name for path in found)[:5])
        raise RunFormatError(shown_as, f"holds {len(found)} MassGen runs ({names}); give one at a time")
    return found[0]


def search_folders(
    top: Path, is_match: Callable[[Path], bool], *, max_depth: int, max_folders: int, nearest_only: bool
) -> tuple[list[Path], bool]:
    """Folders below `top` for which `is_match` holds, breadth first, without
    looking inside a match; with `nearest_only`, no deeper than the first level
    holding one. Symbolic links are not followed and unreadable folders are
    skipped. The flag is False when more than `max_folders` folders came up:
    the list then holds only what was found before, and each caller decides
    whether that is an error."""
    found: list[Path] = []
    level = [top]
    looked_at = 0
    for _ in range(max_depth):
        below = []
        for parent in level:
            try:
                with os.scandir(parent) as entries:
                    children = sorted(Path(entry.path) for entry in entries if entry.is_dir(follow_symlinks=False))
            except OSError:
                continue
            looked_at += len(children)
            if looked_at > max_folders:
                return found, False
            for child in children:
                (found if is_match(child) else below).append(child)
        if found and nearest_only:
            break
        level = below
    return found, True


def list_turns(root: Path) -> tuple[list[TurnFolder], list[str]]:
    """Turn folders with their attempt folders, in number order, and warnings."""
    warnings: list[str] = []
    turns = _numbered(root, _TURN)
    if len(turns) > MAX_TURNS:
        warnings.append(f"more than {MAX_TURNS} turn folders; only the first {MAX_TURNS} were read")
        turns = turns[:MAX_TURNS]
    listed = []
    for number, name in turns:
        attempts = _numbered(root / name, _ATTEMPT)
        if len(attempts) > MAX_ATTEMPTS_PER_TURN:
            warnings.append(f"{name}: more than {MAX_ATTEMPTS_PER_TURN} attempt folders; only the last ones were read")
            attempts = attempts[-MAX_ATTEMPTS_PER_TURN:]
        if attempts:
            listed.append(TurnFolder(number, name, tuple((attempt, f"{name}/{folder}") for attempt, folder in attempts)))
        elif any((root / name / filename).is_file() for filename in _ATTEMPT_FILES):
            warnings.append(f"{name}: has no attempt_M folder; its own files were read as attempt 1")
            listed.append(TurnFolder(number, name, ((1, name),)))
        else:
            warnings.append(f"{name}: has no attempt folder and no run files; skipped")
    return listed, warnings
