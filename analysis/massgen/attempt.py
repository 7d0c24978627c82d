"""One attempt folder -> one `Attempt`.

Each figure is taken from the most authoritative file that has it:
metrics_summary.json, then status.json, then coordination_events.json, then
snapshot folders and the event stream. Every file that is missing or unreadable
leaves a warning that names it and says what was used instead."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from types import MappingProxyType
from typing import TypeVar

from analysis.massgen.clock import RunClock, estimate_offset
from analysis.massgen.coordination import MAX_TIMELINE_EVENTS, CoordinationLog, read_coordination
from analysis.massgen.errors import RunFormatError
from analysis.massgen.events_jsonl import read_events_jsonl
from analysis.massgen.figures import RoundRecord, TokenUsage, ToolSummary
from analysis.massgen.labels import agent_numbers
from analysis.massgen.massgen_log import MassgenLog, read_massgen_log
from analysis.massgen.merge import (
    attach_vote_traces,
    build_timeline,
    label_votes,
    merge_answers,
    merge_errors,
    merge_votes,
    time_key,
)
from analysis.massgen.metadata import AgentConfig, Metadata, read_metadata
from analysis.massgen.metrics import AgentMetrics, MetricsFile, read_metrics
from analysis.massgen.model import (
    MAX_DETAILS_CHARS,
    MAX_REASON_CHARS,
    Agent,
    Answer,
    Attempt,
    Round,
    RunError,
    RunFiles,
    Subagent,
    TextRef,
    TimelineEvent,
    ToolStat,
    Totals,
    Vote,
)
from analysis.massgen.snapshots import (
    MappedSnapshot,
    SnapshotScan,
    VoteRecord,
    read_snapshot_mappings,
    read_vote,
    scan_snapshots,
)
from analysis.massgen.status import AgentStatus, StatusFile, read_status
from analysis.massgen.streaming_debug import read_streaming_debug
from analysis.massgen.streamlog import StreamLog
from analysis.scrub import scrub_excerpt, scrub_text

# Keys every `rounds_by_outcome` has, whatever the source.
ROUND_OUTCOMES = ("answer", "vote", "presentation", "post_evaluation", "restarted", "error", "timeout")
# Enforcement reasons that are API failures, reported as errors too.
_API_FAILURES = frozenset({"api_error", "fatal_api_error", "mcp_disconnected"})
# massgen.log lines this close outside an attempt's run time still belong to it.
_LOG_WINDOW_SLACK_SECONDS = 5

T = TypeVar("T")


class _AttemptFiles:
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


def _clock(metadata: Metadata | None, status: StatusFile | None, scan: SnapshotScan, files: RunFiles) -> RunClock:
    if metadata and metadata.timestamp and status and status.start_time:
        offset = estimate_offset(metadata.timestamp, status.start_time)
        if offset is not None:
            return RunClock(offset)
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
    return RunClock(None)


def _stream(attempt: _AttemptFiles, clock: RunClock, day: date | None, keep_records: bool) -> StreamLog | None:
    if attempt.exists("events.jsonl"):
        return attempt.read("events.jsonl", read_events_jsonl, clock, keep_records)
    if attempt.exists("streaming_debug.log"):
        rotated = sorted(path.name for path in attempt.base.glob("streaming_debug.*.log"))
        if rotated:
            attempt.warnings.append(f"{attempt.name('streaming_debug.log')}: {len(rotated)} rotated part(s) were not read")
        return attempt.read("streaming_debug.log", read_streaming_debug, clock, day)
    return None


def _agent_ids(
    configs: tuple[AgentConfig, ...],
    status: StatusFile | None,
    metrics: MetricsFile | None,
    coordination: CoordinationLog | None,
    scan: SnapshotScan,
    stream: StreamLog | None,
) -> tuple[list[str], dict[str, AgentConfig]]:
    """Agent ids in config order, then any only the run's files mention. A
    config agent without an id takes the next id the files name."""
    recorded = list(
        dict.fromkeys(
            [
                *(agent.id for agent in (status.agents if status else ())),
                *(agent.id for agent in (metrics.agents if metrics else ())),
                *(coordination.agent_ids if coordination else ()),
                *scan.by_agent,
                *(answer.agent for answer in (stream.answers if stream else ())),
                *(vote.voter for vote in (stream.votes if stream else ())),
            ]
        )
    )
    named = [config.id for config in configs if config.id]
    spare = iter(agent for agent in recorded if agent not in named)
    by_id: dict[str, AgentConfig] = {}
    for config in configs:
        agent = config.id or next(spare, None)
        if agent and agent not in by_id:
            by_id[agent] = dataclasses.replace(config, id=agent)
    order = list(by_id) + [agent for agent in recorded if agent not in by_id]
    return order, by_id


def _label_evidence(
    coordination: CoordinationLog | None,
    status: StatusFile | None,
    stream: StreamLog | None,
    mappings: dict[str, MappedSnapshot],
    vote_files: list[VoteRecord],
) -> list[tuple[str, str]]:
    evidence = [pair for record in vote_files for pair in record.label_to_agent.items()]
    if coordination:
        evidence += [(answer.label, answer.agent) for answer in coordination.answers]
        evidence += [(vote.label, vote.voted_for) for vote in coordination.votes if vote.label and vote.voted_for]
    if status:
        evidence += [(agent.latest_answer_label, agent.id) for agent in status.agents if agent.latest_answer_label]
    if stream:
        evidence += [(answer.label, answer.agent) for answer in stream.answers if answer.label]
    evidence += [(mapped.label, mapped.agent) for mapped in mappings.values() if mapped.kind == "answer" and mapped.agent]
    return evidence


def _round(record: RoundRecord, clock: RunClock) -> Round:
    usage = record.usage
    return Round(
        agent=record.agent,
        number=record.number,
        type=record.type,
        outcome=record.outcome,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.reasoning_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cost_usd=usage.cost_usd,
        started_at=clock.from_epoch(record.start_time),
        ended_at=clock.from_epoch(record.end_time),
        duration_ms=record.duration_ms,
        token_source=record.token_source,
    )


def _outcomes(
    metrics: MetricsFile | None, status: StatusFile | None, rounds: list[Round], answers: list[Answer], votes: list[Vote], final: bool
) -> dict[str, int]:
    recorded = (metrics and metrics.rounds_by_outcome) or (status and status.rounds_by_outcome)
    if recorded:
        counts = dict(recorded)
    elif rounds:
        counts = {}
        for round_ in rounds:
            counts[round_.outcome or "unknown"] = counts.get(round_.outcome or "unknown", 0) + 1
    else:
        # Nothing recorded rounds: one answer round per answer, one vote round per vote.
        counts = {"answer": len(answers), "vote": len(votes), "presentation": int(final)}
    return {**{outcome: 0 for outcome in ROUND_OUTCOMES}, **counts}


def _tools(summary: ToolSummary | None, stream: StreamLog | None) -> tuple[tuple[ToolStat, ...], int, int]:
    if summary is not None:
        stats = tuple(ToolStat(tool.name, tool.calls, tool.failures, tool.total_ms) for tool in summary.by_tool)
        calls = summary.total_calls if summary.total_calls is not None else sum(stat.calls for stat in stats)
        failures = summary.total_failures if summary.total_failures is not None else sum(stat.failures for stat in stats)
        return stats, calls, failures
    stats = stream.tool_stats() if stream else ()
    return stats, sum(stat.calls for stat in stats), sum(stat.failures for stat in stats)


def _enforcements(log: MassgenLog | None, status: StatusFile | None, clock: RunClock) -> dict[str, int]:
    """Re-prompts per agent from massgen.log, keeping only lines written
    during this attempt when its run time is known."""
    if log is None:
        return {}
    window = None
    if status and status.start_time is not None and status.elapsed_seconds is not None and clock.offset is not None:
        start = clock.from_epoch(status.start_time)
        if start is not None:
            begin = start.hour * 3600 + start.minute * 60 + start.second - _LOG_WINDOW_SLACK_SECONDS
            window = (begin, begin + int(status.elapsed_seconds) + 2 * _LOG_WINDOW_SLACK_SECONDS + 1)
    counts: dict[str, int] = {}
    for enforcement in log.enforcements:
        if window and enforcement.seconds_of_day is not None:
            # Compare on a clock that may wrap past midnight.
            offset = (enforcement.seconds_of_day - window[0]) % 86_400
            if offset > window[1] - window[0]:
                continue
        counts[enforcement.agent] = counts.get(enforcement.agent, 0) + 1
    return counts


def _errors(
    status: StatusFile | None, coordination: CoordinationLog | None, stream: StreamLog | None, clock: RunClock, status_name: str
) -> list[RunError]:
    from_status = []
    from_reliability = []
    for agent in status.agents if status else ():
        if agent.error is not None:
            kind = "timeout" if "timeout" in (agent.error.type or "").lower() else "error"
            message = scrub_excerpt(agent.error.message or agent.error.type or "error", MAX_DETAILS_CHARS)
            from_status.append(RunError(agent.id, kind, message, clock.from_epoch(agent.error.timestamp), status_name))
        if agent.reliability is not None:
            from_reliability += [
                RunError(agent.id, "error", attempt.error_message or attempt.reason, None, status_name)
                for attempt in agent.reliability.attempts
                if attempt.reason in _API_FAILURES
            ]
    finish = []
    if status and status.finish_reason in ("timeout", "error"):
        message = scrub_excerpt(status.finish_details or f"the orchestrator stopped with {status.finish_reason}", MAX_DETAILS_CHARS)
        finish.append(RunError(None, status.finish_reason, message, None, status_name))
    return merge_errors(
        (from_status, coordination.errors if coordination else (), from_reliability, stream.errors if stream else (), finish)
    )


def _vote_files(attempt: _AttemptFiles, scan: SnapshotScan, clock: RunClock) -> list[VoteRecord]:
    records = []
    for snapshots in scan.by_agent.values():
        for snapshot in snapshots:
            if snapshot.vote_path:
                try:
                    records.append(read_vote(attempt.files, snapshot, clock))
                except RunFormatError as exc:
                    attempt.warnings.append(f"{exc}; that vote is missing")
    return records


def _votes(
    coordination: CoordinationLog | None,
    vote_files: list[VoteRecord],
    scan: SnapshotScan,
    stream: StreamLog | None,
    status: StatusFile | None,
    attempt: _AttemptFiles,
) -> list[Vote]:
    recorded = list(coordination.votes) if coordination else []
    if coordination and coordination.complete:
        return attach_vote_traces(recorded, scan.by_agent)
    # Interrupted or cut short: every vote.json, then the stream's votes.
    votes = merge_votes(merge_votes(recorded, [record.vote for record in vote_files]), stream.votes if stream else ())
    if votes or not status:
        return votes
    attempt.warnings.append(f"{attempt.name('status.json')}: only each agent's first vote is known")
    return [
        Vote(
            voter=agent.id,
            voted_for=agent.first_vote.voted_for,
            label=agent.first_vote.label,
            reason=scrub_excerpt(agent.first_vote.reason, MAX_REASON_CHARS),
            at=None,
            round=None,
        )
        for agent in status.agents
        if agent.first_vote is not None
    ]


def _final_answer(
    scan: SnapshotScan, turn_finals: dict[str, TextRef], winner: str | None
) -> TextRef | None:
    for finals in (scan.finals, turn_finals):
        if winner in finals:
            return finals[winner]
        if len(finals) == 1:
            return next(iter(finals.values()))
    return None


def _subagents(metrics: MetricsFile | None, scan: SnapshotScan) -> tuple[Subagent, ...]:
    folders = {folder.rsplit("/", 1)[-1]: folder for folder in scan.subagent_folders}
    subagents = [
        Subagent(figures.id, figures.input_tokens, figures.output_tokens, figures.cost, folders.pop(figures.id, None))
        for figures in (metrics.subagents if metrics else ())
    ]
    subagents += [Subagent(name, 0, 0, 0.0, folder) for name, folder in folders.items()]
    return tuple(subagents)


def _missing(
    attempt: _AttemptFiles,
    metadata: Metadata | None,
    status: StatusFile | None,
    metrics: MetricsFile | None,
    coordination: CoordinationLog | None,
    stream: StreamLog | None,
) -> None:
    notes = attempt.warnings
    if metadata is None:
        notes.append(f"{attempt.name('execution_metadata.yaml')} is missing or unreadable: agents' backends and models are unknown")
    if status is None:
        notes.append(f"{attempt.name('status.json')} is missing or unreadable: finish reason and enforcement retries are incomplete")
    if metrics is None:
        source = "status.json" if status else "nothing (tokens and costs are unknown)"
        notes.append(
            f"{attempt.name('metrics_summary.json')} is missing or unreadable (an interrupted run?): "
            f"tokens, costs, tools and rounds come from {source}"
        )
    if coordination is None:
        notes.append(
            f"{attempt.name('coordination_events.json')} is missing or unreadable: "
            "answers and votes come from the snapshot folders and the event stream"
        )
    if stream is None and not (attempt.exists("events.jsonl") or attempt.exists("streaming_debug.log")):
        notes.append(f"{attempt.folder}: has no event stream (events.jsonl or streaming_debug.log)")


def _answers(
    coordination: CoordinationLog | None,
    stream: StreamLog | None,
    scan: SnapshotScan,
    mappings: dict[str, MappedSnapshot],
    folder: str,
    numbers: dict[str, int],
    clock: RunClock,
) -> list[Answer]:
    recorded = list(coordination.answers) if coordination else []
    if stream and not (coordination and coordination.complete):
        known = {answer.label for answer in recorded}
        recorded += [answer for answer in stream.answers if answer.label not in known]
    return merge_answers(recorded, scan.by_agent, mappings, folder, numbers, clock.from_local)


def _agents(
    order: list[str],
    configs: dict[str, AgentConfig],
    agent_metrics: dict[str, AgentMetrics],
    agent_status: dict[str, AgentStatus],
    answers: list[Answer],
    votes: list[Vote],
    errors: list[RunError],
    logged_enforcements: dict[str, int],
) -> list[Agent]:
    answered = Counter(answer.agent for answer in answers)
    voted = Counter(vote.voter for vote in votes)
    failed = Counter(error.agent for error in errors)
    agents = []
    for agent_id in order:
        config = configs.get(agent_id)
        state = agent_status.get(agent_id)
        figures = agent_metrics.get(agent_id)
        usage = (figures and figures.usage) or (state and state.usage) or TokenUsage()
        recorded_retries = state.reliability.total_retries if state and state.reliability else 0
        agents.append(
            Agent(
                id=agent_id,
                backend=config.backend if config else None,
                model=config.model if config else None,
                input_tokens=usage.input_tokens,
                output_tokens=usage.output_tokens,
                reasoning_tokens=usage.reasoning_tokens,
                cached_input_tokens=usage.cached_input_tokens,
                cost_usd=usage.cost_usd,
                answers=answered[agent_id],
                votes_cast=voted[agent_id],
                errors=failed[agent_id],
                enforcement_retries=max(recorded_retries, logged_enforcements.get(agent_id, 0)),
                status=state.status if state else None,
                times_restarted=state.times_restarted if state else 0,
                config=MappingProxyType(config.settings if config else {}),
            )
        )
    return agents


def _timeline(
    coordination: CoordinationLog | None,
    stream: StreamLog | None,
    clock: RunClock,
    answers: list[Answer],
    votes: list[Vote],
    errors: list[RunError],
) -> list[TimelineEvent]:
    recorded = list(coordination.timeline) if coordination else list(stream.timeline if stream else [])
    if coordination and not coordination.complete and stream and coordination.last_time is not None:
        # The stream goes on where a cut coordination file stops.
        cut = clock.from_epoch(coordination.last_time)
        recorded += [event for event in stream.timeline if event.at and cut and event.at > cut]
    return build_timeline(recorded, answers, votes, errors, MAX_TIMELINE_EVENTS)


def read_attempt(files: RunFiles, folder: str, number: int, accepted: bool, turn_finals: dict[str, TextRef]) -> Attempt:
    attempt = _AttemptFiles(files, folder)
    metadata = attempt.read("execution_metadata.yaml", read_metadata)
    status = attempt.read("status.json", read_status)
    metrics = attempt.read("metrics_summary.json", read_metrics)
    scan = scan_snapshots(files, folder)
    if scan.truncated:
        attempt.warnings.append(f"{folder}: too many snapshot folders; the rest were not read")
    clock = _clock(metadata, status, scan, files)
    if clock.offset is None:
        attempt.warnings.append(f"{folder}: the run's UTC offset is unknown; its local times are taken as UTC")
    coordination = attempt.read("coordination_events.json", read_coordination, clock)
    if coordination:
        attempt.warnings += coordination.warnings
    day = _day(metadata, status, scan, clock)
    # With a complete coordination record the stream only adds tools and errors.
    stream = _stream(attempt, clock, day, keep_records=not (coordination and coordination.complete))
    if stream:
        attempt.warnings += stream.warnings
    log_name = next((name for name in ("massgen.log", "massgen_debug.log") if attempt.exists(name)), None)
    massgen_log = attempt.read(log_name, read_massgen_log) if log_name else None
    mappings = attempt.read("snapshot_mappings.json", read_snapshot_mappings) or {}
    _missing(attempt, metadata, status, metrics, coordination, stream)

    complete_record = coordination is not None and coordination.complete
    # Without a complete coordination record every vote.json is needed, first as label evidence.
    vote_files = [] if complete_record else _vote_files(attempt, scan, clock)
    order, configs = _agent_ids(metadata.agents if metadata else (), status, metrics, coordination, scan, stream)
    evidence = _label_evidence(coordination, status, stream, mappings, vote_files)
    numbers, note = agent_numbers(order, metadata.massgen_version if metadata else None, evidence)
    if note:
        attempt.warnings.append(f"{folder}: {note}")

    answers = _answers(coordination, stream, scan, mappings, folder, numbers, clock)
    votes = label_votes(_votes(coordination, vote_files, scan, stream, status, attempt), answers)
    errors = _errors(status, coordination, stream, clock, attempt.name("status.json"))

    winner = (
        (metrics and metrics.winner)
        or (status and status.winner)
        or (coordination and coordination.final_winner)
        or (stream and stream.final_agent)
        or (next(iter(scan.finals)) if len(scan.finals) == 1 else None)
    )
    final_answer = _final_answer(scan, turn_finals if accepted else {}, winner)

    agent_metrics = {agent.id: agent for agent in metrics.agents} if metrics else {}
    agent_status = {agent.id: agent for agent in status.agents} if status else {}
    rounds = [_round(record, clock) for agent in (agent_metrics or agent_status).values() for record in agent.rounds]
    rounds.sort(key=lambda round_: time_key(round_.started_at))
    agents = _agents(order, configs, agent_metrics, agent_status, answers, votes, errors, _enforcements(massgen_log, status, clock))
    if not agent_metrics and not agent_status:
        attempt.warnings.append(f"{folder}: no file records token usage; agents' tokens and costs read 0")
    timeline = _timeline(coordination, stream, clock, answers, votes, errors)

    tools, tool_calls, tool_failures = _tools((metrics and metrics.tools) or (status and status.tools), stream)
    totals = _totals(metrics, status, agents)
    complete = status.is_complete if status and status.is_complete is not None else metrics is not None
    finish_reason = (status and status.finish_reason) or ("completed" if metrics and coordination else "unknown")
    question = (status and status.question) or (metrics and metrics.question) or (coordination and coordination.question) or (
        metadata and metadata.query
    )
    return Attempt(
        number=number,
        accepted=accepted,
        complete=complete,
        finish_reason=finish_reason,
        finish_details=scrub_excerpt(status.finish_details, MAX_DETAILS_CHARS) if status and status.finish_details else None,
        question=scrub_text(question) if question else None,
        started_at=_started_at(metadata, status, coordination, stream, answers, clock),
        duration_seconds=_duration(status, coordination, stream),
        winner=winner or None,
        agents=tuple(agents),
        answers=tuple(answers),
        votes=tuple(votes),
        events=tuple(timeline),
        rounds=tuple(rounds),
        rounds_by_outcome=MappingProxyType(_outcomes(metrics, status, rounds, answers, votes, final_answer is not None)),
        tools=tools,
        tool_calls=tool_calls,
        tool_failures=tool_failures,
        errors=tuple(errors),
        reliability=tuple(state.reliability for state in agent_status.values() if state.reliability),
        totals=totals,
        final_answer=final_answer,
        subagents=_subagents(metrics, scan),
        config=MappingProxyType(metadata.config if metadata else {}),
        massgen_version=metadata.massgen_version if metadata else None,
        path=folder,
        warnings=tuple(scrub_text(warning) for warning in attempt.warnings),
    )


def _totals(metrics: MetricsFile | None, status: StatusFile | None, agents: list[Agent]) -> Totals:
    summed = Totals(
        input_tokens=sum(agent.input_tokens for agent in agents),
        output_tokens=sum(agent.output_tokens for agent in agents),
        reasoning_tokens=sum(agent.reasoning_tokens for agent in agents),
        cached_input_tokens=sum(agent.cached_input_tokens for agent in agents),
        cost_usd=sum(agent.cost_usd for agent in agents),
    )
    if metrics and metrics.totals.input_tokens is not None:
        recorded = metrics.totals
        return Totals(
            input_tokens=recorded.input_tokens,
            output_tokens=recorded.output_tokens if recorded.output_tokens is not None else summed.output_tokens,
            reasoning_tokens=recorded.reasoning_tokens if recorded.reasoning_tokens is not None else summed.reasoning_tokens,
            cached_input_tokens=summed.cached_input_tokens,
            cost_usd=recorded.cost if recorded.cost is not None else summed.cost_usd,
            subagent_cost_usd=recorded.subagent_cost or 0.0,
        )
    if status and status.total_input_tokens is not None:
        # status.json's costs exclude subagents and carry no reasoning total.
        return dataclasses.replace(
            summed,
            input_tokens=status.total_input_tokens,
            output_tokens=status.total_output_tokens if status.total_output_tokens is not None else summed.output_tokens,
            cost_usd=status.total_cost if status.total_cost is not None else summed.cost_usd,
        )
    return summed


def _day(metadata: Metadata | None, status: StatusFile | None, scan: SnapshotScan, clock: RunClock) -> date | None:
    if metadata and metadata.timestamp:
        return metadata.timestamp.date()
    started = clock.from_epoch(status.start_time) if status else None
    if started:
        return started.date()
    times = [snapshot.local_time for snapshots in scan.by_agent.values() for snapshot in snapshots if snapshot.local_time]
    return min(times).date() if times else None


def _started_at(
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


def _duration(status: StatusFile | None, coordination: CoordinationLog | None, stream: StreamLog | None) -> float | None:
    if status and status.elapsed_seconds is not None:
        return status.elapsed_seconds
    if coordination and coordination.start_time and coordination.end_time and coordination.end_time >= coordination.start_time:
        return round(coordination.end_time - coordination.start_time, 3)
    if stream and stream.span_seconds is not None:
        return round(stream.span_seconds, 3)
    return None

