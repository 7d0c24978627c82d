"""An attempt folder's files, each read at most once into `AttemptSources`.

A file that is missing or unreadable leaves a warning that names it and says
what the reader uses instead; the warnings keep the order the files are read in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from analysis.massgen.attempt_timing import run_clock, run_day
from analysis.massgen.clock import RunClock
from analysis.massgen.coordination import CoordinationLog, read_coordination
from analysis.massgen.errors import RunFormatError
from analysis.massgen.events_jsonl import read_events_jsonl
from analysis.massgen.massgen_log import MassgenLog, read_massgen_log
from analysis.massgen.metadata import Metadata, read_metadata
from analysis.massgen.metrics import MetricsFile, read_metrics
from analysis.massgen.model import RunFiles
from analysis.massgen.snapshots import MappedSnapshot, SnapshotScan, read_snapshot_mappings, scan_snapshots
from analysis.massgen.status import StatusFile, read_status
from analysis.massgen.streaming_debug import read_streaming_debug
from analysis.massgen.streamlog import StreamLog

T = TypeVar("T")

# The orchestrator's log, under the name each MassGen version gives it.
MASSGEN_LOG_NAMES = ("massgen.log", "massgen_debug.log")


class AttemptFiles:
    """The attempt's files, each read at most once; failures become warnings."""

    def __init__(self, files: RunFiles, folder: str):
        self.files = files
        self.folder = folder
        self.base = files.resolve(folder)
        self.warnings: list[str] = []

    def name(self, filename: str) -> str:
        return f"{self.folder}/{filename}"

    def exists(self, filename: str) -> bool:
        path = self.base / filename
        return path.is_file() and not path.is_symlink()

    def read(self, filename: str, parse: Callable[..., T], *args: object) -> T | None:
        if not self.exists(filename):
            return None
        try:
            return parse(self.base / filename, self.name(filename), *args)
        except RunFormatError as exc:
            self.warnings.append(f"{exc}; ignored")
            return None

    def warn(self, message: str) -> None:
        """A warning about the attempt folder as a whole."""
        self.warnings.append(f"{self.folder}: {message}")


@dataclass(frozen=True)
class AttemptSources:
    """Everything read from one attempt folder; None for a file that is missing
    or unreadable."""

    metadata: Metadata | None
    status: StatusFile | None
    metrics: MetricsFile | None
    coordination: CoordinationLog | None
    stream: StreamLog | None
    massgen_log: MassgenLog | None
    mappings: dict[str, MappedSnapshot]
    scan: SnapshotScan
    clock: RunClock

    @property
    def complete_record(self) -> bool:
        """coordination_events.json was there and was read to its end."""
        return self.coordination is not None and self.coordination.complete


def read_sources(attempt: AttemptFiles) -> AttemptSources:
    metadata = attempt.read("execution_metadata.yaml", read_metadata)
    status = attempt.read("status.json", read_status)
    metrics = attempt.read("metrics_summary.json", read_metrics)
    scan = _scan(attempt)
    clock = _clock(attempt, metadata, status, scan)
    coordination = _coordination(attempt, clock)
    # With a complete coordination record the stream only adds tools and errors.
    keep_records = not (coordination and coordination.complete)
    stream = read_stream(attempt, clock, run_day(metadata, status, scan, clock), keep_records)
    massgen_log = _massgen_log(attempt)
    mappings = attempt.read("snapshot_mappings.json", read_snapshot_mappings) or {}
    sources = AttemptSources(metadata, status, metrics, coordination, stream, massgen_log, mappings, scan, clock)
    note_missing(attempt, sources)
    return sources


def _scan(attempt: AttemptFiles) -> SnapshotScan:
    scan = scan_snapshots(attempt.files, attempt.folder)
    if scan.truncated:
        attempt.warn("too many snapshot folders; the rest were not read")
    return scan


def _clock(attempt: AttemptFiles, metadata: Metadata | None, status: StatusFile | None, scan: SnapshotScan) -> RunClock:
    clock = run_clock(metadata, status, scan, attempt.files)
    if clock.offset is None:
        attempt.warn("the run's UTC offset is unknown; its local times are taken as UTC")
    return clock


def _coordination(attempt: AttemptFiles, clock: RunClock) -> CoordinationLog | None:
    coordination = attempt.read("coordination_events.json", read_coordination, clock)
    if coordination:
        attempt.warnings += coordination.warnings
    return coordination


def read_stream(attempt: AttemptFiles, clock: RunClock, day: date | None, keep_records: bool) -> StreamLog | None:
    """events.jsonl (MassGen 0.1.46 on), else streaming_debug.log, with the
    stream's own warnings."""
    stream = _read_stream_file(attempt, clock, day, keep_records)
    if stream:
        attempt.warnings += stream.warnings
    return stream


def _read_stream_file(attempt: AttemptFiles, clock: RunClock, day: date | None, keep_records: bool) -> StreamLog | None:
    if attempt.exists("events.jsonl"):
        return attempt.read("events.jsonl", read_events_jsonl, clock, keep_records)
    if attempt.exists("streaming_debug.log"):
        rotated = sorted(path.name for path in attempt.base.glob("streaming_debug.*.log"))
        if rotated:
            attempt.warnings.append(f"{attempt.name('streaming_debug.log')}: {len(rotated)} rotated part(s) were not read")
        return attempt.read("streaming_debug.log", read_streaming_debug, clock, day)
    return None


def _massgen_log(attempt: AttemptFiles) -> MassgenLog | None:
    log_name = next((name for name in MASSGEN_LOG_NAMES if attempt.exists(name)), None)
    return attempt.read(log_name, read_massgen_log) if log_name else None


def note_missing(attempt: AttemptFiles, sources: AttemptSources) -> None:
    """One warning per main file the attempt lacks, saying what stands in for it."""
    notes = attempt.warnings
    if sources.metadata is None:
        notes.append(f"{attempt.name('execution_metadata.yaml')} is missing or unreadable: agents' backends and models are unknown")
    if sources.status is None:
        notes.append(f"{attempt.name('status.json')} is missing or unreadable: finish reason and enforcement retries are incomplete")
    if sources.metrics is None:
        source = "status.json" if sources.status else "nothing (tokens and costs are unknown)"
        notes.append(
            f"{attempt.name('metrics_summary.json')} is missing or unreadable (an interrupted run?): "
            f"tokens, costs, tools and rounds come from {source}"
        )
    if sources.coordination is None:
        notes.append(
            f"{attempt.name('coordination_events.json')} is missing or unreadable: "
            "answers and votes come from the snapshot folders and the event stream"
        )
    if sources.stream is None and not (attempt.exists("events.jsonl") or attempt.exists("streaming_debug.log")):
        notes.append(f"{attempt.folder}: has no event stream (events.jsonl or streaming_debug.log)")
