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
# MassGen 0.1.0-0.1.7 wrote a session's files straight into `log_*/`, with no
# turn_N/attempt_M folders; one of these files marks such a folder.
_FLAT_RUN_FILES = ("coordination_events.json", "execution_metadata.yaml")
FLAT_LAYOUT_WARNING = "flat layout of MassGen 0.1.0-0.1.7 (no turn_N/attempt_M folders): read as turn 1, attempt 1"
# The files a finished attempt has; a `--continue` stub (0.1.97) has none of them.
_RECORD_FILES = ("status.json", "metrics_summary.json", "coordination_events.json")
_STREAM_FILES = ("events.jsonl", "streaming_debug.log", "massgen.log", "massgen_debug.log")
# A folder holding several runs is read as one session only when each later run
# continues the one before (`massgen --continue`), and only up to this many.
MAX_CHAINED_RUNS = 50


@dataclass(frozen=True, slots=True)
class TurnFolder:
    number: int
    folder: str  # relative to the session root
    attempts: tuple[tuple[int, str], ...]  # (number, folder relative to the session root)
    # A `--continue` stub folder whose stream, log and metadata belong to this
    # turn's first attempt (MassGen 0.1.97 writes them to the new run's turn_1).
    borrowed: str | None = None


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


def _has_file(directory: Path, names: tuple[str, ...]) -> bool:
    return any((directory / name).is_file() and not (directory / name).is_symlink() for name in names)


def is_flat_root(directory: Path) -> bool:
    """A pre-0.1.8 session folder: run files in the folder itself, no turn_N."""
    return (
        not _TURN.match(directory.name)
        and not _ATTEMPT.match(directory.name)
        and _has_file(directory, _FLAT_RUN_FILES)
        and not _numbered(directory, _TURN)
    )


def _is_session_root(directory: Path) -> bool:
    return bool(_numbered(directory, _TURN)) or is_flat_root(directory)


def find_session_roots(directory: Path, shown_as: str) -> list[Path]:
    """The session roots nearest to the top of `directory` (usually one, two
    for a session and its `--continue` run); `shown_as` names it in errors."""
    if _is_session_root(directory):
        return [directory]
    found, complete = search_folders(
        directory, _is_session_root, max_depth=MAX_ROOT_SEARCH_DEPTH, max_folders=MAX_ROOT_SEARCH_FOLDERS, nearest_only=True
    )
    if not complete:
        raise RunFormatError(shown_as, f"has more than {MAX_ROOT_SEARCH_FOLDERS} folders and no MassGen run near its top")
    if not found:
        raise RunFormatError(shown_as, "holds no MassGen run (no folder with turn_N sub-folders or run files)")
    return sorted(found, key=lambda path: path.name)


def refuse_several(found: list[Path], shown_as: str) -> RunFormatError:
    names = ", ".join(sorted(path.name for path in found)[:5])
    return RunFormatError(shown_as, f"holds {len(found)} MassGen runs ({names}); give one at a time")


def find_session_root(directory: Path, shown_as: str) -> Path:
    """The one session root at or below `directory`; `shown_as` names it in errors."""
    found = find_session_roots(directory, shown_as)
    if len(found) > 1:
        raise refuse_several(found, shown_as)
    return found[0]


def is_continuation_stub(folder: Path) -> bool:
    """An attempt folder with a stream or log but no record of its own: what
    `massgen --continue` (0.1.97) leaves in the new run's turn_1/attempt_1."""
    return not _has_file(folder, _RECORD_FILES) and _has_file(folder, _STREAM_FILES)


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


def list_turns(root: Path, base: Path | None = None) -> tuple[list[TurnFolder], list[str]]:
    """Turn folders with their attempt folders, in number order, and warnings.
    Folders are relative to `base` (a folder above `root` when several runs are
    read as one session), else to `root`."""
    base = base or root
    prefix = root.relative_to(base).as_posix() if root != base else ""
    if is_flat_root(root):
        return [TurnFolder(1, prefix, ((1, prefix),))], [f"{prefix or root.name}: {FLAT_LAYOUT_WARNING}"]
    listed, warnings = _list_turn_folders(root)
    if prefix:
        listed = [
            TurnFolder(turn.number, f"{prefix}/{turn.folder}", tuple((n, f"{prefix}/{folder}") for n, folder in turn.attempts))
            for turn in listed
        ]
        warnings = [f"{prefix}/{warning}" for warning in warnings]
    return _fold_continuation_stub(base, listed, warnings)


def _fold_continuation_stub(base: Path, listed: list[TurnFolder], warnings: list[str]) -> tuple[list[TurnFolder], list[str]]:
    """MassGen 0.1.97's `--continue` opens a new run whose turn_1/attempt_1
    holds only the follow-up question's stream, log and metadata, and whose
    turn_2/attempt_1 holds the rest: that is one turn (2), not two."""
    if len(listed) < 2 or listed[0].number != 1 or len(listed[0].attempts) != 1:
        return listed, warnings
    stub = listed[0].attempts[0][1]
    following = listed[1]
    if not is_continuation_stub(base / stub) or _has_file(base / following.attempts[0][1], _STREAM_FILES[:2]):
        return listed, warnings
    warnings.append(
        f"{stub}: holds only the stream, log and metadata of turn {following.number}'s question "
        f"(a `massgen --continue` run, MassGen 0.1.97); read as part of turn {following.number}, not as a turn of its own"
    )
    folded = TurnFolder(following.number, following.folder, following.attempts, borrowed=stub)
    return [folded, *listed[2:]], warnings


def _list_turn_folders(root: Path) -> tuple[list[TurnFolder], list[str]]:
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
