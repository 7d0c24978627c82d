"""status.json: MassGen's live status, rewritten every 2 s and once at the end.
It is the one summary file an interrupted run still has (possibly stale), and
the only place that records enforcement retries (`reliability`)."""

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
from analysis.massgen.model import MAX_DETAILS_CHARS, EnforcementAttempt, Reliability
from analysis.redaction.scrub import scrub_excerpt


@dataclass(frozen=True, slots=True)
class FirstVote:
    voted_for: str | None
    label: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class AgentError:
    type: str | None
    message: str
    timestamp: float | None


@dataclass(frozen=True, slots=True)
class AgentStatus:
    id: str
    status: str | None
    answer_count: int | None
    latest_answer_label: str | None
    first_vote: FirstVote | None  # status.json keeps only an agent's first vote
    times_restarted: int
    error: AgentError | None
    usage: TokenUsage | None
    rounds: tuple[RoundRecord, ...]
    reliability: Reliability | None


@dataclass(frozen=True, slots=True)
class StatusFile:
    finish_reason: str | None
    finish_details: str | None
    is_complete: bool | None
    question: str | None
    start_time: float | None  # epoch
    elapsed_seconds: float | None
    total_input_tokens: int | None
    total_output_tokens: int | None
    total_cost: float | None
    tools: ToolSummary | None
    rounds_by_outcome: dict[str, int] | None
    agents: tuple[AgentStatus, ...]
    winner: str | None
    phase: str | None = None  # coordination.phase when the file was last written


def _first_vote(raw: Any) -> FirstVote | None:
    raw = as_dict(raw)
    if not raw:
        return None
    return FirstVote(
        voted_for=as_str(raw.get("voted_for_agent")) or as_str(raw.get("voted_for")),
        label=as_str(raw.get("voted_for_label")),
        reason=as_str(raw.get("reason")) or as_str(raw.get("reason_preview")) or "",
    )


def _error(raw: Any) -> AgentError | None:
    if isinstance(raw, str) and raw:
        return AgentError(None, raw, None)
    raw = as_dict(raw)
    if not raw:
        return None
    return AgentError(as_str(raw.get("type")), as_str(raw.get("message")) or "", as_float(raw.get("timestamp")))


def _reliability(agent_id: str, raw: Any) -> Reliability | None:
    raw = as_dict(raw)
    if not raw:
        return None
    attempts = tuple(
        EnforcementAttempt(
            round=as_int(entry.get("round")),
            attempt=as_int(entry.get("attempt")),
            reason=as_str(entry.get("reason")) or "unknown",
            error_message=scrub_excerpt(as_str(entry.get("error_message")) or "", MAX_DETAILS_CHARS),
            buffer_chars=as_int(entry.get("buffer_chars")) or 0,
        )
        for entry in as_list(raw.get("enforcement_attempts"))
        if isinstance(entry, dict)
    )
    total = as_int(raw.get("total_enforcement_retries"))
    return Reliability(
        agent=agent_id,
        total_retries=len(attempts) if total is None else total,
        buffer_chars_lost=as_int(raw.get("total_buffer_chars_lost")) or 0,
        attempts=attempts,
        workflow_errors=len(as_list(raw.get("workflow_errors"))),
        outcome=as_str(raw.get("outcome")),
    )


def _agent(agent_id: str, raw: dict[str, Any]) -> AgentStatus:
    return AgentStatus(
        id=agent_id,
        status=as_str(raw.get("status")),
        answer_count=as_int(raw.get("answer_count")),
        latest_answer_label=as_str(raw.get("latest_answer_label")),
        first_vote=_first_vote(raw.get("vote_cast")),
        times_restarted=as_int(raw.get("times_restarted")) or 0,
        error=_error(raw.get("error")),
        usage=token_usage(raw.get("token_usage")),
        rounds=round_records(raw.get("round_history"), agent_id),
        reliability=_reliability(agent_id, raw.get("reliability")),
    )


def read_status(path: Path, name: str) -> StatusFile:
    document = load_json_object(path, name)
    meta = as_dict(document.get("meta"))
    costs = as_dict(document.get("costs"))
    results = as_dict(document.get("results"))
    complete = document.get("is_complete")
    return StatusFile(
        finish_reason=as_str(document.get("finish_reason")),
        finish_details=as_str(document.get("finish_reason_details")),
        is_complete=complete if isinstance(complete, bool) else None,
        question=as_str(meta.get("question")),
        start_time=as_float(meta.get("start_time")),
        elapsed_seconds=as_float(meta.get("elapsed_seconds")),
        total_input_tokens=as_int(costs.get("total_input_tokens")),
        total_output_tokens=as_int(costs.get("total_output_tokens")),
        total_cost=as_float(costs.get("total_estimated_cost")),
        tools=tool_summary(document.get("tools")),
        rounds_by_outcome=outcome_counts(as_dict(document.get("rounds")).get("by_outcome")),
        agents=tuple(
            _agent(str(agent_id), raw) for agent_id, raw in as_dict(document.get("agents")).items() if isinstance(raw, dict)
        ),
        winner=as_str(results.get("winner")),
        phase=as_str(as_dict(document.get("coordination")).get("phase")),
    )
