"""An attempt folder's files, each read at most once into `AttemptSources`.

A file that is missing or unreadable leaves a warning that names it and says
what the reader uses instead; the warnings keep the order the files are read in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

from analysis.massgen.attempt_timing import run_clock, run_day
from analysis.massgen.clock import RunClock
from analysis.massgen.coordination import CoordinationLog, read_coordination
from analysis.massgen.errors import RunFormatError
from analysis.massgen.events_jsonl import read_events_jsonl
from analysis.massgen.layout import is_flat_root
from analysis.massgen.massgen_log import MassgenLog, read_massgen_log
from analysis.massgen.metadata import Metadata, read_metadata
from analysis.massgen.metrics import MetricsFile, read_metrics
from analysis.massgen.model import RunFiles, join_path
from analysis.massgen.snapshots import MappedSnapshot, SnapshotScan, read_snapshot_mappings, scan_snapshots
from analysis.massgen.status import StatusFile, read_status
from analysis.massgen.streaming_debug import read_streaming_debug
from analysis.massgen.streamlog import StreamLog
from analysis.massgen.versions import METRICS_SINCE, STATUS_SINCE, predates

T = TypeVar("T")

# The orchestrator's log, under the name each MassGen version gives it.
MASSGEN_LOG_NAMES = ("massgen.log", "massgen_debug.log")


class AttemptFiles:
    """The attempt's files, each read at most once; failures become warnings."""

    def __init__(self, files: RunFiles, folder: str, borrowed: str | None = None):
        self.files = files
        self.folder = folder
        self.base = files.resolve(folder)
        # A `--continue` stub folder holding this attempt's stream, log and
        # metadata (MassGen 0.1.97); its files stand in for missing ones here.
        self.borrowed = borrowed
        self.warnings: list[str] = []

    def _folder_of(self, filename: str) -> str:
        if self._is_file(self.folder, filename) or self.borrowed is None:
            return self.folder
        return self.borrowed if self._is_file(self.borrowed, filename) else self.folder

    def _is_file(self, folder: str, filename: str) -> bool:
        path = self.files.resolve(folder) / filename
        return path.is_file() and not path.is_symlink()

    def path(self, filename: str) -> Path:
        return self.files.resolve(self._folder_of(filename)) / filename

    def name(self, filename: str) -> str:
        return join_path(self._folder_of(filename), filename)

    def exists(self, filename: str) -> bool:
        return self._is_file(self._folder_of(filename), filename)

    def read(self, filename: str, parse: Callable[..., T], *args: object) -> T | None:
        if not self.exists(filename):
            return None
        try:
            return parse(self.path(filename), self.name(filename), *args)
        except RunFormatError as exc:
            self.warnings.append(f"{exc}; ignored")
            return None

    def warn(self, message: str) -> None:
        """A warning about the attempt folder as a whole."""
        self.warnings.append(f"{self.folder or '.'}: {message}")


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
    # coordination_events.json holds no answer or vote although the snapshot
    # folders do: MassGen reset its tracker on an orchestration restart.
    tracker_reset: bool = False

    @property
    def complete_record(self) -> bool:
        """coordination_events.json was there, was read to its end, and holds the attempt's answers and votes."""
        return self.coordination is not None and self.coordination.complete and not self.tracker_reset


def read_sources(attempt: AttemptFiles) -> AttemptSources:
    metadata = attempt.read("execution_metadata.yaml", read_metadata)
    status = attempt.read("status.json", read_status)
    metrics = attempt.read("metrics_summary.json", read_metrics)
    scan = _scan(attempt)
    clock = _clock(attempt, metadata, status, scan)
    coordination = _coordination(attempt, clock)
    tracker_reset = _tracker_reset(coordination, scan)
    if tracker_reset:
        attempt.warnings.append(
            f"{attempt.name('coordination_events.json')} holds no answer or vote although the snapshot folders do "
            "(MassGen reset its coordination tracker on an orchestration restart): answers and votes come from the "
            "snapshot folders and snapshot_mappings.json, the start time from execution_metadata.yaml or massgen.log"
        )
    # With a complete coordination record the stream only adds tools and errors.
    keep_records = not (coordination and coordination.complete) or tracker_reset
    stream = read_stream(attempt, clock, run_day(metadata, status, scan, clock), keep_records)
    massgen_log = _massgen_log(attempt)
    mappings = attempt.read("snapshot_mappings.json", read_snapshot_mappings) or {}
    sources = AttemptSources(metadata, status, metrics, coordination, stream, massgen_log, mappings, scan, clock, tracker_reset)
    note_missing(attempt, sources)
    return sources


def _tracker_reset(coordination: CoordinationLog | None, scan: SnapshotScan) -> bool:
    if coordination is None or coordination.answers or coordination.votes:
        return False
    return any(snapshot.answer or snapshot.vote_path for snapshots in scan.by_agent.values() for snapshot in snapshots)


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
    log = attempt.read(log_name, read_massgen_log) if log_name else None
    if log:
        attempt.warnings += log.warnings
    return log


def note_missing(attempt: AttemptFiles, sources: AttemptSources) -> None:
    """One warning per main file the attempt lacks, saying what stands in for it."""
    notes = attempt.warnings
    version = sources.metadata.massgen_version if sources.metadata else None
    flat = is_flat_root(attempt.base)
    shown = f"MassGen {version}" if version else "this MassGen version"
    if sources.metadata is None:
        notes.append(f"{attempt.name('execution_metadata.yaml')} is missing or unreadable: agents' backends and models are unknown")
    if sources.status is None and predates(version, STATUS_SINCE, flat_layout=flat):
        notes.append(f"no status.json: {shown} did not write it (added in 0.1.8); enforcement retries are not recorded (null)")
    elif sources.status is None:
        notes.append(f"{attempt.name('status.json')} is missing or unreadable: finish reason and enforcement retries are incomplete")
    if sources.metrics is None and predates(version, METRICS_SINCE, flat_layout=flat):
        what = "tokens, costs and tool calls" if sources.status is None else "some figures"
        notes.append(
            f"no metrics_summary.json: {shown} did not write it (added in 0.1.27); {what} are not recorded (null, not 0)"
        )
    elif sources.metrics is None:
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
        if predates(version, (0, 1, 43), flat_layout=flat):
            notes.append(f"no event stream: {shown} wrote neither events.jsonl nor streaming_debug.log")
        else:
            notes.append(f"{attempt.folder or '.'}: has no event stream (events.jsonl or streaming_debug.log)")
