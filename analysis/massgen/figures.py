"""Figures that status.json and metrics_summary.json record the same way:
token usage, tool metrics, round records, round outcomes. The coercions never
raise: a field of the wrong type counts as absent."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class TokenUsage:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0


def token_usage(raw: Any) -> TokenUsage | None:
    raw = as_dict(raw)
    if not raw:
        return None
    return TokenUsage(
        input_tokens=as_int(raw.get("input_tokens")) or 0,
        output_tokens=as_int(raw.get("output_tokens")) or 0,
        reasoning_tokens=as_int(raw.get("reasoning_tokens")) or 0,
        cached_input_tokens=as_int(raw.get("cached_input_tokens")) or 0,
        cost_usd=as_float(raw.get("estimated_cost")) or 0.0,
    )


@dataclass(frozen=True, slots=True)
class ToolFigures:
    name: str
    calls: int
    failures: int
    total_ms: float


@dataclass(frozen=True, slots=True)
class ToolSummary:
    total_calls: int | None
    total_failures: int | None
    by_tool: tuple[ToolFigures, ...]


def tool_summary(raw: Any) -> ToolSummary | None:
    raw = as_dict(raw)
    if not raw:
        return None
    by_tool = tuple(
        ToolFigures(
            name=str(name),
            calls=as_int(figures.get("call_count")) or 0,
            failures=as_int(figures.get("failure_count")) or 0,
            total_ms=as_float(figures.get("total_execution_time_ms")) or 0.0,
        )
        for name, figures in as_dict(raw.get("by_tool")).items()
        if isinstance(figures, dict)
    )
    return ToolSummary(as_int(raw.get("total_calls")), as_int(raw.get("total_failures")), by_tool)


@dataclass(frozen=True, slots=True)
class RoundRecord:
    agent: str
    number: int | None
    type: str | None
    outcome: str | None
    usage: TokenUsage
    start_time: float | None  # epoch
    end_time: float | None
    duration_ms: float | None
    token_source: str | None


def round_records(raw: Any, agent_id: str) -> tuple[RoundRecord, ...]:
    return tuple(
        RoundRecord(
            agent=as_str(entry.get("agent_id")) or agent_id,
            number=as_int(entry.get("round_number")),
            type=as_str(entry.get("round_type")),
            outcome=as_str(entry.get("outcome")),
            usage=token_usage(entry) or TokenUsage(),
            start_time=as_float(entry.get("start_time")),
            end_time=as_float(entry.get("end_time")),
            duration_ms=as_float(entry.get("duration_ms")),
            token_source=as_str(entry.get("token_source")),
        )
        for entry in as_list(raw)
        if isinstance(entry, dict)
    )


def outcome_counts(raw: Any) -> dict[str, int] | None:
    raw = as_dict(raw)
    if not raw:
        return None
    counts = {str(key): as_int(value) for key, value in raw.items()}
    return {key: value for key, value in counts.items() if value is not None}
