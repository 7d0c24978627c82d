"""massgen.log (massgen_debug.log with --debug): loguru text,
`HH:MM:SS | LEVEL | message`. The reader takes one thing from it that no
structured file records reliably: each time the orchestrator re-prompted an
agent that finished without calling a workflow tool. (status.json's
`reliability` misses some of these in 0.1.43.)

In 0.1.43 a `--continue` turn appends its lines to turn_1's log, so each
re-prompt keeps its time of day and the caller keeps those inside its attempt."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.massgen.lines import LineReader

_STAMP = re.compile(rb"^(\d\d):(\d\d):(\d\d)")
_ENFORCEMENT = re.compile(rb"Sending enforcement message to (\S{1,200}) \(")
_MARKER = b"Sending enforcement message to "
# Re-prompts kept per log; far beyond any real run, it bounds a hostile file.
MAX_ENFORCEMENT_RECORDS = 100_000


@dataclass(frozen=True, slots=True)
class Enforcement:
    seconds_of_day: int | None
    agent: str


@dataclass(slots=True)
class MassgenLog:
    name: str
    enforcements: list[Enforcement] = field(default_factory=list)
    overlong_lines: int = 0


def read_massgen_log(path: Path, name: str) -> MassgenLog:
    log = MassgenLog(name)
    reader = LineReader(path, name)
    for line in reader.lines():
        if _MARKER not in line:
            continue
        match = _ENFORCEMENT.search(line)
        if match is None or len(log.enforcements) >= MAX_ENFORCEMENT_RECORDS:
            continue
        stamp = _STAMP.match(line)
        seconds = int(stamp.group(1)) * 3600 + int(stamp.group(2)) * 60 + int(stamp.group(3)) if stamp else None
        log.enforcements.append(Enforcement(seconds, match.group(1).decode("utf-8", errors="replace")))
    log.overlong_lines = reader.overlong
    return log
