"""massgen.log (massgen_debug.log with --debug): loguru text,
`HH:MM:SS | LEVEL | message`. The reader takes from it what no structured
file records reliably:

- each time the orchestrator re-prompted an agent that finished without
  calling a workflow tool (status.json's `reliability` misses some in 0.1.43);
- each provider back-off MassGen handled itself (`[Gemini] Rate limit (HTTP
  429) in initial_stream. Retry 1/5, backing off...`), which leaves no error
  round anywhere;
- the time of its first line: the real start of an attempt whose
  coordination tracker MassGen reset on an orchestration restart.

In 0.1.43 a `--continue` turn appends its lines to turn_1's log, so each
record keeps its time of day and the caller keeps those inside its attempt.
The log rotates into zip files beside it at 10 MB; those parts are read too,
oldest first."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from analysis.massgen.errors import RunFormatError
from analysis.massgen.lines import LineReader

_STAMP = re.compile(rb"^(\d\d):(\d\d):(\d\d)")
_ENFORCEMENT = re.compile(rb"Sending enforcement message to (\S{1,200}) \(")
_MARKER = b"Sending enforcement message to "
_BACKOFF_MARKER = b"backing off"
_BACKOFF = re.compile(rb"(?:\[([A-Za-z][\w .-]{0,40})\] )?(Rate limit[^\n]{0,300}?Retry (\d{1,4})/(\d{1,4}), backing off)")
# Streamed text echoed into the log; the event stream has the same lines.
_ECHO_MARKER = b"Stream chunk ["
# Records kept per log; far beyond any real run, it bounds a hostile file.
MAX_ENFORCEMENT_RECORDS = 100_000
MAX_BACKOFF_RECORDS = 100_000
# Rotated parts (`massgen.<time>.log.zip`) read per attempt, and the most a
# part may inflate to: MassGen rotates at 10 MB, so anything far bigger is hostile.
MAX_ROTATED_PARTS = 100
MAX_ROTATED_PART_BYTES = 256 * 1024 * 1024
MAX_ROTATED_PART_RATIO = 200


@dataclass(frozen=True, slots=True)
class Enforcement:
    seconds_of_day: int | None
    agent: str


@dataclass(frozen=True, slots=True)
class Backoff:
    """One back-off MassGen did on a provider error before retrying the call."""

    seconds_of_day: int | None
    backend: str | None  # the `[Gemini]` tag: the backend, not the agent
    message: str
    retry: int


@dataclass(slots=True)
class MassgenLog:
    name: str
    enforcements: list[Enforcement] = field(default_factory=list)
    backoffs: list[Backoff] = field(default_factory=list)
    first_seconds_of_day: int | None = None
    overlong_lines: int = 0
    rotated_parts: int = 0
    warnings: list[str] = field(default_factory=list)


def _seconds(line: bytes) -> int | None:
    stamp = _STAMP.match(line)
    return int(stamp.group(1)) * 3600 + int(stamp.group(2)) * 60 + int(stamp.group(3)) if stamp else None


def _take(log: MassgenLog, line: bytes) -> None:
    if log.first_seconds_of_day is None:
        log.first_seconds_of_day = _seconds(line)
    if _MARKER in line:
        match = _ENFORCEMENT.search(line)
        if match is not None and len(log.enforcements) < MAX_ENFORCEMENT_RECORDS:
            log.enforcements.append(Enforcement(_seconds(line), match.group(1).decode("utf-8", errors="replace")))
    elif _BACKOFF_MARKER in line and _ECHO_MARKER not in line:
        match = _BACKOFF.search(line)
        if match is not None and len(log.backoffs) < MAX_BACKOFF_RECORDS:
            backend = match.group(1).decode("utf-8", errors="replace") if match.group(1) else None
            message = match.group(2).decode("utf-8", errors="replace")
            log.backoffs.append(Backoff(_seconds(line), backend, message, int(match.group(3))))


def read_massgen_log(path: Path, name: str) -> MassgenLog:
    log = MassgenLog(name)
    _read_rotated_parts(path, log)
    reader = LineReader(path, name)
    for line in reader.lines():
        _take(log, line)
    log.overlong_lines += reader.overlong
    return log


def _read_rotated_parts(path: Path, log: MassgenLog) -> None:
    """`massgen.<time>.log.zip` beside the log, oldest first (the names sort by time)."""
    stem = path.name.split(".", 1)[0]
    parts = sorted(candidate for candidate in path.parent.glob(f"{stem}.*.zip") if candidate.is_file() and not candidate.is_symlink())
    if len(parts) > MAX_ROTATED_PARTS:
        log.warnings.append(f"{log.name}: more than {MAX_ROTATED_PARTS} rotated parts; only the newest were read")
        parts = parts[-MAX_ROTATED_PARTS:]
    for part in parts:
        part_name = f"{log.name.rsplit('/', 1)[0]}/{part.name}" if "/" in log.name else part.name
        try:
            _read_zip_part(part, part_name, log)
        except RunFormatError as exc:
            log.warnings.append(f"{exc}; that rotated part was not read")
            continue
        log.rotated_parts += 1


def _read_zip_part(part: Path, part_name: str, log: MassgenLog) -> None:
    try:
        with zipfile.ZipFile(part) as archive:
            members = [member for member in archive.infolist() if not member.is_dir()]
            for member in members:
                compressed = max(member.compress_size, 1)
                if member.file_size > MAX_ROTATED_PART_BYTES or member.file_size / compressed > MAX_ROTATED_PART_RATIO:
                    raise RunFormatError(part_name, f"member {member.filename[:100]!r} inflates past the rotated-log limits")
                reader = LineReader(part, part_name)
                with archive.open(member) as handle:
                    for line in reader.lines_of(_Bounded(handle, MAX_ROTATED_PART_BYTES)):
                        _take(log, line)
                log.overlong_lines += reader.overlong
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, NotImplementedError, RuntimeError, EOFError) as exc:
        raise RunFormatError(part_name, f"is not a readable zip ({type(exc).__name__})") from None


class _Bounded:
    """A zip member read no further than `limit` bytes, whatever its header declares."""

    def __init__(self, handle, limit: int):
        self._handle = handle
        self._left = limit

    def read(self, size: int) -> bytes:
        if self._left <= 0:
            return b""
        data = self._handle.read(min(size, self._left))
        self._left -= len(data)
        return data
