"""metrics_summary.json: MassGen's own end-of-run figures. Written only when
coordination finishes, so its absence marks an interrupted run; when present,
its tokens, costs and winner are the reference the reader must reproduce."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.massgen.figures import (
    RoundRecord,
    TokenUsage,
    ToolSummary,
    as_dict,
    as_float,
    as_int,
    as_list,
    as_str,
    outcome_counts,
    round_records,
    token_usage,
    tool_summary,
)
from analysis.massgen.jsondoc import load_json_object


@dataclass(frozen=True, slots=True)
class MetricsTotals:
    input_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None
    cost: float | None
    subagent_cost: float | None


@dataclass(frozen=True, slots=True)
class SubagentFigures:
    id: str
    input_tokens: int
    output_tokens: int
    cost: float
    status: str | None = None


@dataclass(frozen=True, slots=True)
class AgentMetrics:
    id: str
    usage: TokenUsage | None
    rounds: tuple[RoundRecord, ...]


@dataclass(frozen=True, slots=True)
class BackendTiming:
    backend: str
    calls: int | None
    time_ms: float | None
    ttft_ms: float | None


@dataclass(frozen=True, slots=True)
class ApiTiming:
    """metrics_summary.json `api_timing`: what `massgen logs summary` shows as API timing."""

    total_calls: int | None
    total_time_ms: float | None
    avg_time_ms: float | None
    avg_ttft_ms: float | None
    by_backend: tuple[BackendTiming, ...]


@dataclass(frozen=True, slots=True)
class MetricsFile:
    question: str | None
    winner: str | None
    totals: MetricsTotals
    tools: ToolSummary | None
    rounds_by_outcome: dict[str, int] | None
    agents: tuple[AgentMetrics, ...]
    subagents: tuple[SubagentFigures, ...]
    api_timing: ApiTiming | None = None
    avg_context_usage_pct: float | None = None  # rounds.avg_context_usage_pct
    # Each agent's largest context_usage_pct over its rounds.
    peak_context_usage_pct: dict[str, float] | None = None


def _subagent(index: int, raw: dict[str, Any]) -> SubagentFigures:
    usage = token_usage(raw.get("token_usage")) or TokenUsage()
    return SubagentFigures(
        id=as_str(raw.get("subagent_id")) or as_str(raw.get("id")) or f"subagent_{index + 1}",
        input_tokens=as_int(raw.get("input_tokens")) or usage.input_tokens,
        output_tokens=as_int(raw.get("output_tokens")) or usage.output_tokens,
        cost=as_float(raw.get("estimated_cost")) or as_float(raw.get("cost")) or usage.cost_usd,
        status=as_str(raw.get("status")),
    )


def read_metrics(path: Path, name: str) -> MetricsFile:
    document = load_json_object(path, name)
    meta = as_dict(document.get("meta"))
    totals = as_dict(document.get("totals"))
    subagents = as_list(as_dict(document.get("subagents")).get("subagents"))
    return MetricsFile(
        question=as_str(meta.get("question")),
        winner=as_str(meta.get("winner")),
        totals=MetricsTotals(
            input_tokens=as_int(totals.get("input_tokens")),
            output_tokens=as_int(totals.get("output_tokens")),
            reasoning_tokens=as_int(totals.get("reasoning_tokens")),
            cost=as_float(totals.get("estimated_cost")),
            subagent_cost=as_float(totals.get("subagent_cost")),
        ),
        tools=tool_summary(document.get("tools")),
        rounds_by_outcome=outcome_counts(as_dict(document.get("rounds")).get("by_outcome")),
        agents=tuple(
            AgentMetrics(str(agent_id), token_usage(raw.get("token_usage")), round_records(raw.get("round_history"), str(agent_id)))
            for agent_id, raw in as_dict(document.get("agents")).items()
            if isinstance(raw, dict)
        ),
        subagents=tuple(_subagent(index, raw) for index, raw in enumerate(subagents) if isinstance(raw, dict)),
        api_timing=_api_timing(document.get("api_timing")),
        avg_context_usage_pct=as_float(as_dict(document.get("rounds")).get("avg_context_usage_pct")),
        peak_context_usage_pct=_peak_context_usage(as_dict(document.get("agents"))),
    )


def _api_timing(raw: Any) -> ApiTiming | None:
    raw = as_dict(raw)
    if not raw:
        return None
    by_backend = tuple(
        BackendTiming(str(name), as_int(figures.get("calls")), as_float(figures.get("time_ms")), as_float(figures.get("ttft_ms")))
        for name, figures in as_dict(raw.get("by_backend")).items()
        if isinstance(figures, dict)
    )
    return ApiTiming(
        total_calls=as_int(raw.get("total_calls")),
        total_time_ms=as_float(raw.get("total_time_ms")),
        avg_time_ms=as_float(raw.get("avg_time_ms")),
        avg_ttft_ms=as_float(raw.get("avg_ttft_ms")),
        by_backend=by_backend,
    )


def _peak_context_usage(agents: dict[str, Any]) -> dict[str, float] | None:
    peaks: dict[str, float] = {}
    for agent_id, raw in agents.items():
        for entry in as_list(as_dict(raw).get("round_history")):
            value = as_float(as_dict(entry).get("context_usage_pct"))
            if value is not None:
                peaks[str(agent_id)] = max(peaks.get(str(agent_id), value), value)
    return peaks or None
