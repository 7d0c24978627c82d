"""What an attempt used: its rounds, tokens and costs, tools and subagents,
from metrics_summary.json, else status.json, else the event stream."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from analysis.massgen.attempt_files import AttemptFiles, AttemptSources
from analysis.massgen.clock import RunClock
from analysis.massgen.figures import RoundRecord, ToolSummary
from analysis.massgen.merge import time_key
from analysis.massgen.metrics import AgentMetrics, MetricsFile, MetricsTotals
from analysis.massgen.model import (
    Agent,
    Answer,
    ApiTimingFacts,
    BackendTimingFacts,
    ContextUsage,
    Round,
    Subagent,
    ToolStat,
    Totals,
    Vote,
)
from analysis.massgen.snapshots import SnapshotScan
from analysis.massgen.status import AgentStatus, StatusFile

# Keys every `rounds_by_outcome` has, whatever the source.
ROUND_OUTCOMES = ("answer", "vote", "presentation", "post_evaluation", "restarted", "error", "timeout")


def agent_figures(
    attempt: AttemptFiles, metrics: MetricsFile | None, status: StatusFile | None
) -> tuple[dict[str, AgentMetrics], dict[str, AgentStatus]]:
    """Each agent's recorded figures by id, from metrics_summary.json and from status.json."""
    agent_metrics = {agent.id: agent for agent in metrics.agents} if metrics else {}
    agent_status = {agent.id: agent for agent in status.agents} if status else {}
    if not agent_metrics and not agent_status:
        attempt.warn("no file records token usage: agents' tokens and costs are unknown (null, not 0)")
    return agent_metrics, agent_status


def read_rounds(agent_metrics: dict[str, AgentMetrics], agent_status: dict[str, AgentStatus], clock: RunClock) -> list[Round]:
    rounds = [_round(record, clock) for agent in (agent_metrics or agent_status).values() for record in agent.rounds]
    rounds.sort(key=lambda round_: time_key(round_.started_at))
    return rounds


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


def rounds_by_outcome(
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


def tool_figures(sources: AttemptSources) -> tuple[tuple[ToolStat, ...], int, int]:
    """Per-tool stats, total calls and total failures."""
    metrics, status, stream = sources.metrics, sources.status, sources.stream
    summary = (metrics and metrics.tools) or (status and status.tools)
    if summary is not None:
        return _recorded_tools(summary)
    stats = stream.tool_stats() if stream else ()
    return stats, sum(stat.calls for stat in stats), sum(stat.failures for stat in stats)


def _recorded_tools(summary: ToolSummary) -> tuple[tuple[ToolStat, ...], int, int]:
    stats = tuple(ToolStat(tool.name, tool.calls, tool.failures, tool.total_ms) for tool in summary.by_tool)
    calls = summary.total_calls if summary.total_calls is not None else sum(stat.calls for stat in stats)
    failures = summary.total_failures if summary.total_failures is not None else sum(stat.failures for stat in stats)
    return stats, calls, failures


def totals(metrics: MetricsFile | None, status: StatusFile | None, agents: list[Agent]) -> Totals:
    summed = _summed(agents)
    if metrics and metrics.totals.input_tokens is not None:
        return _metrics_totals(metrics.totals, summed)
    if status and status.total_input_tokens is not None:
        return _status_totals(status, summed)
    return summed


def _summed(agents: list[Agent]) -> Totals:
    return Totals(
        input_tokens=sum(agent.input_tokens for agent in agents),
        output_tokens=sum(agent.output_tokens for agent in agents),
        reasoning_tokens=sum(agent.reasoning_tokens for agent in agents),
        cached_input_tokens=sum(agent.cached_input_tokens for agent in agents),
        cost_usd=sum(agent.cost_usd for agent in agents),
    )


def _metrics_totals(recorded: MetricsTotals, summed: Totals) -> Totals:
    return Totals(
        input_tokens=recorded.input_tokens,
        output_tokens=recorded.output_tokens if recorded.output_tokens is not None else summed.output_tokens,
        reasoning_tokens=recorded.reasoning_tokens if recorded.reasoning_tokens is not None else summed.reasoning_tokens,
        cached_input_tokens=summed.cached_input_tokens,
        cost_usd=recorded.cost if recorded.cost is not None else summed.cost_usd,
        subagent_cost_usd=recorded.subagent_cost or 0.0,
    )


def _status_totals(status: StatusFile, summed: Totals) -> Totals:
    # status.json's costs exclude subagents and carry no reasoning total.
    return dataclasses.replace(
        summed,
        input_tokens=status.total_input_tokens,
        output_tokens=status.total_output_tokens if status.total_output_tokens is not None else summed.output_tokens,
        cost_usd=status.total_cost if status.total_cost is not None else summed.cost_usd,
    )


def subagents(metrics: MetricsFile | None, scan: SnapshotScan) -> tuple[Subagent, ...]:
    folders = {folder.rsplit("/", 1)[-1]: folder for folder in scan.subagent_folders}
    found = [
        Subagent(figures.id, figures.input_tokens, figures.output_tokens, figures.cost, folders.pop(figures.id, None), figures.status)
        for figures in (metrics.subagents if metrics else ())
    ]
    found += [Subagent(name, 0, 0, 0.0, folder) for name, folder in folders.items()]
    return tuple(found)


def api_timing(metrics: MetricsFile | None) -> ApiTimingFacts | None:
    timing = metrics.api_timing if metrics else None
    if timing is None:
        return None
    return ApiTimingFacts(
        total_calls=timing.total_calls,
        total_time_ms=timing.total_time_ms,
        avg_time_ms=timing.avg_time_ms,
        avg_ttft_ms=timing.avg_ttft_ms,
        by_backend=tuple(BackendTimingFacts(item.backend, item.calls, item.time_ms, item.ttft_ms) for item in timing.by_backend),
    )


def context_usage(metrics: MetricsFile | None) -> ContextUsage | None:
    if metrics is None or (metrics.avg_context_usage_pct is None and not metrics.peak_context_usage_pct):
        return None
    return ContextUsage(metrics.avg_context_usage_pct, MappingProxyType(dict(metrics.peak_context_usage_pct or {})))
