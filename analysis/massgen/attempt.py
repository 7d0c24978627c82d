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

from types import MappingProxyType

from analysis.massgen.attempt_agents import agent_ids, build_agents, logged_enforcements
from analysis.massgen.attempt_errors import read_errors
from analysis.massgen.attempt_files import AttemptFiles, AttemptSources, read_sources
from analysis.massgen.attempt_timing import duration, started_at, timeline
from analysis.massgen.attempt_usage import (
    ROUND_OUTCOMES,
    agent_figures,
    read_rounds,
    rounds_by_outcome,
    subagents,
    tool_figures,
    totals,
)
from analysis.massgen.attempt_votes import find_final_answer, find_winner, read_answers_and_votes
from analysis.massgen.metrics import MetricsFile
from analysis.massgen.model import MAX_DETAILS_CHARS, Attempt, RunFiles, TextRef
from analysis.massgen.status import StatusFile
from analysis.redaction.scrub import scrub_excerpt, scrub_text

__all__ = ["ROUND_OUTCOMES", "read_attempt"]


def read_attempt(files: RunFiles, folder: str, number: int, accepted: bool, turn_finals: dict[str, TextRef]) -> Attempt:
    attempt = AttemptFiles(files, folder)
    sources = read_sources(attempt)
    metadata, status, metrics = sources.metadata, sources.status, sources.metrics
    coordination, stream, clock = sources.coordination, sources.stream, sources.clock

    order, configs = agent_ids(sources)
    answers, votes = read_answers_and_votes(attempt, sources, order)
    errors = read_errors(status, coordination, stream, clock, attempt.name("status.json"))
    winner = find_winner(sources)
    final_answer = find_final_answer(sources.scan, turn_finals if accepted else {}, winner)

    agent_metrics, agent_status = agent_figures(attempt, metrics, status)
    rounds = read_rounds(agent_metrics, agent_status, clock)
    enforcements = logged_enforcements(sources.massgen_log, status, clock)
    agents = build_agents(order, configs, agent_metrics, agent_status, answers, votes, errors, enforcements)
    tools, tool_calls, tool_failures = tool_figures(sources)
    return Attempt(
        number=number,
        accepted=accepted,
        complete=_complete(status, metrics),
        finish_reason=_finish_reason(sources),
        finish_details=_finish_details(status),
        question=_question(sources),
        started_at=started_at(metadata, status, coordination, stream, answers, clock),
        duration_seconds=duration(status, coordination, stream),
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
        totals=totals(metrics, status, agents),
        final_answer=final_answer,
        subagents=subagents(metrics, sources.scan),
        config=MappingProxyType(metadata.config if metadata else {}),
        massgen_version=metadata.massgen_version if metadata else None,
        path=folder,
        warnings=tuple(scrub_text(warning) for warning in attempt.warnings),
    )


def _complete(status: StatusFile | None, metrics: MetricsFile | None) -> bool:
    # MassGen writes metrics_summary.json when coordination finishes.
    return status.is_complete if status and status.is_complete is not None else metrics is not None


def _finish_reason(sources: AttemptSources) -> str:
    status, metrics, coordination = sources.status, sources.metrics, sources.coordination
    return (status and status.finish_reason) or ("completed" if metrics and coordination else "unknown")


def _finish_details(status: StatusFile | None) -> str | None:
    return scrub_excerpt(status.finish_details, MAX_DETAILS_CHARS) if status and status.finish_details else None


def _question(sources: AttemptSources) -> str | None:
    status, metrics, coordination, metadata = sources.status, sources.metrics, sources.coordination, sources.metadata
    question = (status and status.question) or (metrics and metrics.question) or (coordination and coordination.question) or (
        metadata and metadata.query
    )
    return scrub_text(question) if question else None
