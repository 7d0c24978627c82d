"""One attempt folder -> one `Attempt`.

Each figure is taken from the most authoritative file that has it:
metrics_summary.json, then status.json, then coordination_events.json, then
snapshot folders and the event stream. Every file that is missing or unreadable
leaves a warning that names it and says what was used instead.

The pieces sit next to this module, one module per part of the attempt:
attempt_files (reading the folder), attempt_timing, attempt_agents,
attempt_votes (answers, votes, winner), attempt_errors and attempt_usage
(rounds, tokens, costs, tools)."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from analysis.massgen.attempt_agents import agent_ids, build_agents, logged_enforcements
from analysis.massgen.attempt_errors import read_errors
from analysis.massgen.attempt_files import AttemptFiles, AttemptSources, read_sources
from analysis.massgen.attempt_retries import provider_retries
from analysis.massgen.attempt_timing import duration, real_span, started_at, timeline
from analysis.massgen.attempt_usage import (
    ROUND_OUTCOMES,
    agent_figures,
    api_timing,
    context_usage,
    read_rounds,
    rounds_by_outcome,
    subagents,
    tool_figures,
    totals,
)
from analysis.massgen.attempt_votes import find_final_answer, find_winner, read_answers_and_votes
from analysis.massgen.coordination import CoordinationLog
from analysis.massgen.layout import is_flat_root
from analysis.massgen.model import MAX_DETAILS_CHARS, Agent, Attempt, Round, RunFiles, TextRef
from analysis.massgen.status import StatusFile
from analysis.massgen.streamlog import StreamLog
from analysis.massgen.versions import METRICS_SINCE, STATUS_SINCE, predates
from analysis.redaction.scrub import scrub_excerpt, scrub_text

__all__ = ["ROUND_OUTCOMES", "read_attempt"]


def read_attempt(
    files: RunFiles, folder: str, number: int, accepted: bool, turn_finals: dict[str, TextRef], borrowed: str | None = None
) -> Attempt:
    attempt = AttemptFiles(files, folder, borrowed)
    sources = read_sources(attempt)
    metadata, status, metrics = sources.metadata, sources.status, sources.metrics
    coordination, stream, clock = sources.coordination, sources.stream, sources.clock
    era = _Era.of(sources, attempt)

    order, configs = agent_ids(sources)
    answers, votes = read_answers_and_votes(attempt, sources, order)
    errors = read_errors(status, coordination, stream, clock, attempt.name("status.json"))
    winner = find_winner(sources)
    final_answer = find_final_answer(sources.scan, turn_finals if accepted else {}, winner)

    agent_metrics, agent_status = agent_figures(attempt, metrics, status)
    rounds = read_rounds(agent_metrics, agent_status, clock)
    # A reset tracker leaves status.json's times at the reset: no time window then.
    enforcements = logged_enforcements(sources.massgen_log, None if sources.tracker_reset else status, clock)
    agents = build_agents(order, configs, agent_metrics, agent_status, answers, votes, errors, enforcements)
    retry_counts, retries = provider_retries(sources, {agent.id: (agent.backend, agent.model) for agent in agents})
    agents = [_with_unknowns(agent, sources, retry_counts) for agent in agents]
    tools, tool_calls, tool_failures = tool_figures(sources)
    tools_recorded = bool((metrics and metrics.tools) or (status and status.tools) or stream is not None)
    started, seconds = started_at(metadata, status, coordination, stream, answers, clock), duration(status, coordination, stream)
    if sources.tracker_reset:
        started, seconds = real_span(sources, started, seconds)
    complete = _complete(attempt, sources, era)
    return Attempt(
        number=number,
        accepted=accepted,
        complete=complete,
        finish_reason=_finish_reason(sources, era),
        finish_details=_finish_details(status),
        question=_question(sources),
        started_at=started,
        duration_seconds=seconds,
        winner=winner or None,
        agents=tuple(agents),
        answers=tuple(answers),
        votes=tuple(votes),
        events=tuple(timeline(coordination, stream, clock, answers, votes, errors)),
        rounds=tuple(rounds),
        rounds_by_outcome=MappingProxyType(rounds_by_outcome(metrics, status, rounds, answers, votes, final_answer is not None)),
        tools=tools,
        tool_calls=tool_calls,
        tool_failures=tool_failures,
        errors=tuple(errors),
        reliability=tuple(state.reliability for state in agent_status.values() if state.reliability),
        totals=dataclasses.replace(totals(metrics, status, agents), recorded=bool(agent_metrics or agent_status)),
        final_answer=final_answer,
        subagents=subagents(metrics, sources.scan),
        config=MappingProxyType(metadata.config if metadata else {}),
        massgen_version=metadata.massgen_version if metadata else None,
        path=folder,
        warnings=tuple(scrub_text(warning) for warning in attempt.warnings),
        tools_recorded=tools_recorded,
        presented_by=winner or None,
        previous_restart_reason=metadata.restart_reason if metadata else None,
        likely_crash=accepted and not complete and _post_evaluation_unfinished(sources, rounds),
        tracker_reset=sources.tracker_reset,
        provider_retries=retries,
        restart_triggers=len(coordination.restart_triggers) if coordination else 0,
        api_timing=api_timing(metrics),
        context_usage=context_usage(metrics),
    )


@dataclasses.dataclass(frozen=True)
class _Era:
    """Which files this attempt's MassGen version writes at all."""

    writes_status: bool
    writes_metrics: bool

    @classmethod
    def of(cls, sources: AttemptSources, attempt: AttemptFiles) -> _Era:
        version = sources.metadata.massgen_version if sources.metadata else None
        flat = is_flat_root(attempt.base)
        return cls(
            writes_status=not predates(version, STATUS_SINCE, flat_layout=flat),
            writes_metrics=not predates(version, METRICS_SINCE, flat_layout=flat),
        )


def _with_unknowns(agent: Agent, sources: AttemptSources, retry_counts: dict[str, int] | None) -> Agent:
    coordination, status, stream = sources.coordination, sources.status, sources.stream
    return dataclasses.replace(
        agent,
        usage_recorded=sources.metrics is not None or status is not None,
        enforcement_recorded=status is not None or sources.massgen_log is not None,
        restarts=_restarts(agent, coordination, stream),
        provider_retries=None if retry_counts is None else retry_counts.get(agent.id, 0),
    )


def _restarts(agent: Agent, coordination: CoordinationLog | None, stream: StreamLog | None) -> int:
    """restart_completed events of coordination_events.json, else the stream's
    agent_restart events, else status.json's times_restarted."""
    if coordination and coordination.restarts:
        return coordination.restarts.get(agent.id, 0)
    restarted = sum(1 for event in (stream.timeline if stream else ()) if event.kind == "restart" and event.agent == agent.id)
    return restarted or agent.times_restarted


def _complete(attempt: AttemptFiles, sources: AttemptSources, era: _Era) -> bool:
    """Finished, and its record is whole: metrics_summary.json (from 0.1.27)
    and coordination_events.json, both written when coordination finishes."""
    status, metrics, coordination = sources.status, sources.metrics, sources.coordination
    if status and status.is_complete is not None:
        finished = status.is_complete
    else:
        finished = metrics is not None or bool(coordination and coordination.session_end_time is not None)
    missing = [
        name
        for name, present in (
            ("metrics_summary.json", metrics is not None or not era.writes_metrics),
            ("coordination_events.json", coordination is not None and coordination.complete),
        )
        if not present
    ]
    if finished and missing:
        attempt.warnings.append(
            f"{attempt.folder or '.'}: recorded as finished, but {' and '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing or cut short: read as incomplete (interrupted)"
        )
    return bool(finished and not missing)


def _post_evaluation_unfinished(sources: AttemptSources, rounds: list[Round]) -> bool:
    """Post-evaluation began but gave no verdict (a crash, when no restart followed)."""
    status = sources.status
    if status and status.phase and "post" in status.phase.lower():
        return True
    return any(round_.type == "post_evaluation" and not round_.outcome for round_ in rounds)


def _finish_reason(sources: AttemptSources, era: _Era) -> str:
    status, metrics, coordination = sources.status, sources.metrics, sources.coordination
    if status and status.finish_reason:
        return status.finish_reason
    if coordination and (metrics or (not era.writes_metrics and coordination.complete and coordination.session_end_time)):
        return "completed"
    return "unknown"


def _finish_details(status: StatusFile | None) -> str | None:
    return scrub_excerpt(status.finish_details, MAX_DETAILS_CHARS) if status and status.finish_details else None


def _question(sources: AttemptSources) -> str | None:
    status, metrics, coordination, metadata = sources.status, sources.metrics, sources.coordination, sources.metadata
    question = (status and status.question) or (metrics and metrics.question) or (coordination and coordination.question) or (
        metadata and metadata.query
    )
    return scrub_text(question) if question else None
