"""When an attempt ran: its clock (the run's UTC offset), day, start, duration
and timeline, each from the first file that records it."""

from __future__ import annotations

from datetime import date, datetime

from analysis.massgen.clock import RunClock, estimate_offset
from analysis.massgen.coordination import MAX_TIMELINE_EVENTS, CoordinationLog
from analysis.massgen.errors import RunFormatError
from analysis.massgen.merge import build_timeline
from analysis.massgen.metadata import Metadata
from analysis.massgen.model import Answer, RunError, RunFiles, TimelineEvent, Vote
from analysis.massgen.snapshots import SnapshotScan, read_vote
from analysis.massgen.status import StatusFile
from analysis.massgen.streamlog import StreamLog


def run_clock(metadata: Metadata | None, status: StatusFile | None, scan: SnapshotScan, files: RunFiles) -> RunClock:
    clock = _clock_from_start(metadata, status)
    if clock is None:
        clock = _clock_from_votes(scan, files)
    return clock if clock is not None else RunClock(None)


def _clock_from_start(metadata: Metadata | None, status: StatusFile | None) -> RunClock | None:
    """The run's start, in local time (execution_metadata.yaml) and as an epoch (status.json)."""
    if metadata and metadata.timestamp and status and status.start_time:
        offset = estimate_offset(metadata.timestamp, status.start_time)
        if offset is not None:
            return RunClock(offset)
    return None


def _clock_from_votes(scan: SnapshotScan, files: RunFiles) -> RunClock | None:
    # A vote.json records one instant both ways: its folder name and unix_timestamp.
    for snapshots in scan.by_agent.values():
        for snapshot in snapshots:
            if snapshot.vote_path and snapshot.local_time:
                try:
                    record = read_vote(files, snapshot, RunClock(None))
                except RunFormatError:
                    continue
                if record.epoch is not None:
                    return RunClock(estimate_offset(snapshot.local_time, record.epoch))
    return None


def run_day(metadata: Metadata | None, status: StatusFile | None, scan: SnapshotScan, clock: RunClock) -> date | None:
    """The local day the run started, for logs that print only times of day."""
    if metadata and metadata.timestamp:
        return metadata.timestamp.date()
    started = clock.from_epoch(status.start_time) if status else None
    if started:
        return started.date()
    times = [snapshot.local_time for snapshots in scan.by_agent.values() for snapshot in snapshots if snapshot.local_time]
    return min(times).date() if times else None


def started_at(
    metadata: Metadata | None,
    status: StatusFile | None,
    coordination: CoordinationLog | None,
    stream: StreamLog | None,
    answers: list[Answer],
    clock: RunClock,
) -> datetime | None:
    for candidate in (
        clock.from_epoch(status.start_time) if status else None,
        clock.from_epoch(coordination.start_time) if coordination else None,
        clock.from_local(metadata.timestamp) if metadata else None,
        stream.first_time if stream else None,
        min((answer.at for answer in answers if answer.at), default=None),
    ):
        if candidate is not None:
            return candidate
    return None


def duration(status: StatusFile | None, coordination: CoordinationLog | None, stream: StreamLog | None) -> float | None:
    if status and status.elapsed_seconds is not None:
        return status.elapsed_seconds
    if coordination and coordination.start_time and coordination.end_time and coordination.end_time >= coordination.start_time:
        return round(coordination.end_time - coordination.start_time, 3)
    if stream and stream.span_seconds is not None:
        return round(stream.span_seconds, 3)
    return None


def timeline(
    coordination: CoordinationLog | None,
    stream: StreamLog | None,
    clock: RunClock,
    answers: list[Answer],
    votes: list[Vote],
    errors: list[RunError],
) -> list[TimelineEvent]:
    return build_timeline(_recorded_events(coordination, stream, clock), answers, votes, errors, MAX_TIMELINE_EVENTS)


def _recorded_events(coordination: CoordinationLog | None, stream: StreamLog | None, clock: RunClock) -> list[TimelineEvent]:
    if coordination is None:
        return list(stream.timeline if stream else [])
    recorded = list(coordination.timeline)
    if not coordination.complete and stream and coordination.last_time is not None:
        # The stream goes on where a cut coordination file stops.
        cut = clock.from_epoch(coordination.last_time)
        recorded += [event for event in stream.timeline if event.at and cut and event.at > cut]
    return recorded


def real_span(sources, recorded_start: datetime | None, recorded_seconds: float | None) -> tuple[datetime | None, float | None]:
    """Start and duration of an attempt whose coordination tracker MassGen reset:
    the tracker's start is the reset, so the start comes from
    execution_metadata.yaml's timestamp, else massgen.log's first line, and the
    duration runs from there to the recorded end."""
    metadata, clock, log = sources.metadata, sources.clock, sources.massgen_log
    start = clock.from_local(metadata.timestamp) if metadata and metadata.timestamp else None
    day = run_day(metadata, sources.status, sources.scan, clock)
    if start is None and log is not None and log.first_seconds_of_day is not None and day is not None:
        seconds = log.first_seconds_of_day
        start = clock.from_local(datetime(day.year, day.month, day.day, seconds // 3600, seconds // 60 % 60, seconds % 60))
    if start is None or recorded_start is None or start >= recorded_start:
        return recorded_start, recorded_seconds
    end_seconds = (recorded_start - start).total_seconds() + (recorded_seconds or 0.0)
    return start, round(end_seconds, 3)
