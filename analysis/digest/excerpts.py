"""Log excerpts around each error of an attempt: the lines before an error say
what the agent was doing when it failed, which the one-line message does not.

An error is looked up in the attempt's massgen.log (the human-readable log,
where the surrounding lines are the agent's stream), else in the file the
reader took it from; the k-th error with the same message gets the k-th
matching line. Each file is read once, line by line, whatever its size."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from analysis.massgen.errors import RunFormatError
from analysis.massgen.lines import LineReader
from analysis.massgen.model import Attempt, RunError, Session, join_path

LINES_BEFORE = 12
LINES_AFTER = 6
MAX_LINE_CHARS = 400  # massgen.log lines repeat whole stream-chunk reprs
# The start of a message finds its line even when the log wrapped or
# prefixed it, and is long enough not to match unrelated lines.
NEEDLE_CHARS = 80
MASSGEN_LOG = "massgen.log"


@dataclass(frozen=True)
class ErrorExcerpt:
    error_index: int  # position in attempt.errors
    path: str  # the file, relative to the session root
    line_number: int  # 1-based line of the error
    text: str


@dataclass
class _Wanted:
    error_index: int
    needle: bytes
    occurrence: int  # the k-th line containing the needle
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    line_number: int | None = None

    @property
    def done(self) -> bool:
        return self.line_number is not None and len(self.after) >= LINES_AFTER


def error_excerpts(session: Session, attempt: Attempt) -> tuple[ErrorExcerpt, ...]:
    indexed = list(enumerate(attempt.errors))
    log = join_path(attempt.path, MASSGEN_LOG)  # the flat 0.1.x layout keeps it in the run folder
    found = _scan(session, log, indexed)
    by_source: dict[str, list[tuple[int, RunError]]] = {}
    for index, error in indexed:
        if index not in found and error.source and error.source != log:
            by_source.setdefault(error.source, []).append((index, error))
    for path in sorted(by_source):
        found.update(_scan(session, path, by_source[path]))
    return tuple(found[index] for index in sorted(found))


def _wanted(errors: list[tuple[int, RunError]]) -> list[_Wanted]:
    seen: dict[bytes, int] = {}
    wanted = []
    for index, error in errors:
        needle = _needle(error.message)
        if needle:
            seen[needle] = seen.get(needle, 0) + 1
            wanted.append(_Wanted(index, needle, seen[needle]))
    return wanted


def _needle(message: str) -> bytes:
    first_line = message.strip().splitlines()[0] if message.strip() else ""
    return first_line[:NEEDLE_CHARS].encode("utf-8")


def _scan(session: Session, path: str, errors: list[tuple[int, RunError]]) -> dict[int, ErrorExcerpt]:
    wanted = _wanted(errors)
    if not wanted:
        return {}
    try:
        reader = LineReader(session.files.resolve(path), path)
        lines = reader.lines()
        recent: deque[str] = deque(maxlen=LINES_BEFORE)
        matches: dict[bytes, int] = {}
        open_ones: list[_Wanted] = []
        pending = list(wanted)
        for number, raw in enumerate(lines, start=1):
            line = _shown(raw)
            for item in open_ones:
                item.after.append(line)
            open_ones = [item for item in open_ones if not item.done]
            for needle in {item.needle for item in pending if item.needle in raw}:
                matches[needle] = matches.get(needle, 0) + 1
                for item in pending:
                    if item.needle == needle and item.occurrence == matches[needle]:
                        item.before, item.line_number = [*recent, line], number
                        open_ones.append(item)
                pending = [item for item in pending if item.line_number is None]
            recent.append(line)
            if not pending and not open_ones:
                break
    except (RunFormatError, OSError):
        return {}  # the excerpt is a nicety: a missing or unreadable log must not stop the digest
    return {
        item.error_index: ErrorExcerpt(item.error_index, path, item.line_number, "\n".join([*item.before, *item.after]))
        for item in wanted
        if item.line_number is not None
    }


def _shown(raw: bytes) -> str:
    line = raw.decode("utf-8", errors="replace").rstrip("\r")
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS] + " [...]"
