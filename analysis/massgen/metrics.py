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


@dataclass(frozen=True, slots=True)
class AgentMetrics:
    id: str
    usage: TokenUsage | None
    rounds: tuple[RoundRecord, ...]


@dataclass(frozen=True, slots=True)
class MetricsFile:
    question: str | None
    winner: str | None
    totals: MetricsTotals
    tools: ToolSummary | None
    rounds_by_outcome: dict[str, int] | None
    agents: tuple[AgentMetrics, ...]
    subagents: tuple[SubagentFigures, ...]


def _subagent(index: int, raw: dict[str, Any]) -> SubagentFigures:
    usage = token_usage(raw.get("token_usage")) or TokenUsage()
    return SubagentFigures(
        id=as_str(raw.get("subagent_id")) or as_str(raw.get("id")) or f"subagent_{index + 1}",
        input_tokens=as_int(raw.get("input_tokens")) or usage.input_tokens,
        output_tokens=as_int(raw.get("output_tokens")) or usage.output_tokens,
        cost=as_float(raw.get("estimated_cost")) or as_float(raw.get("cost")) or usage.cost_usd,
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
    )
