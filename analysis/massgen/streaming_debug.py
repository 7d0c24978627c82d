"""streaming_debug.log (MassGen <= 0.1.44): one line per stream chunk,
`HH:MM:SS.mmm | 🔹 [backend] Yielding chunk: StreamChunk(type='...', ...)`.

The chunk is a Python repr, not JSON, and is never evaluated: the reader picks
out the chunk type, tool names and error texts with patterns. Lines carry only
a time of day, so the caller supplies the run's date."""

from __future__ import annotations

import ast
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

from analysis.massgen.clock import RunClock
from analysis.massgen.lines import LineReader
from analysis.massgen.model import MAX_DETAILS_CHARS, RunError, TimelineEvent
from analysis.massgen.streamlog import StreamLog
from analysis.redaction.scrub import scrub_excerpt

_LINE = re.compile(rb"^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? \| ")
_TYPE = re.compile(rb"StreamChunk\(type='([A-Za-z_]{1,64})'")
_TOOL_NAME = re.compile(rb"'function': \{'name': '([^'\\]{1,200})'")
_ERROR = re.compile(rb"""\berror=('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")
_MAX_ERROR_LITERAL = 64 * 1024
_DAY = 86_400.0


def _seconds_of_day(match: re.Match[bytes]) -> float:
    hours, minutes, seconds, fraction = match.groups()
    value = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    return value + (int(fraction) / 10 ** len(fraction) if fraction else 0.0)


def _error_text(line: bytes) -> str:
    # The error field sits near the start; a literal too long to keep is not searched for.
    match = _ERROR.search(line, 0, _MAX_ERROR_LITERAL)
    if not match:
        return "stream error"
    literal = match.group(1).decode("utf-8", errors="replace")
    try:
        value = ast.literal_eval(literal)  # a lone string literal, nothing else
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = literal[1:-1]
    return value if isinstance(value, str) and value else "stream error"


def read_streaming_debug(path: Path, name: str, clock: RunClock, day: date | None) -> StreamLog:
    log = StreamLog(name)
    reader = LineReader(path, name)
    first: float | None = None
    elapsed = 0.0  # seconds since the first line, across midnights
    previous: float | None = None
    number = 0
    for number, line in enumerate(reader.lines(), start=1):
        stamp = _LINE.match(line)
        if stamp is None:
            continue  # a continuation of a chunk that contained a newline
        if int(stamp.group(1)) > 23 or int(stamp.group(2)) > 59 or int(stamp.group(3)) > 60:
            log.bad_line(number)
            continue
        now = _seconds_of_day(stamp)
        if first is None:
            first = previous = now
        else:
            step = now - previous
            # Lines are written in order: a jump backwards is the next day.
            elapsed += step + _DAY if step < -3600 else max(step, 0.0)
            previous = now
        kind_match = _TYPE.search(line)
        if kind_match is None:
            continue
        kind = kind_match.group(1).decode("ascii")
        if kind == "tool_calls":
            for tool in _TOOL_NAME.findall(line):
                counter = log.tool(tool.decode("utf-8", errors="replace"))
                if counter is not None:
                    counter.calls += 1
        elif kind == "error":
            message = scrub_excerpt(_error_text(line), MAX_DETAILS_CHARS)
            at = None
            if day is not None:
                at = clock.from_local(datetime.combine(day, time()) + timedelta(seconds=(first or 0.0) + elapsed))
            log.add(log.errors, RunError(agent=None, kind="error", message=message, at=at, source=name))
            log.add(log.timeline, TimelineEvent(at, "error", None, None, message))
    log.overlong_lines = reader.overlong
    if first is not None:
        log.span_seconds = elapsed
        if day is not None:
            start = datetime.combine(day, time()) + timedelta(seconds=first)
            log.first_time = clock.from_local(start)
            log.last_time = clock.from_local(start + timedelta(seconds=elapsed))
    return log
