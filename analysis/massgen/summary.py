"""The JSON contract of `debrief runs summary --json` (format_version 1).

Keys may be added to this contract; none may be removed or renamed. Figures
that MassGen records (tokens, costs, winner, rounds, tools) are passed through
exactly; docs/reader.md says where each field comes from."""

from __future__ import annotations

from typing import Any

from analysis.massgen.merge import time_key
from analysis.massgen.model import Agent, Attempt, Session, Turn
from analysis.redaction.scrub import scrub

FORMAT_VERSION = 1
# Costs are sums of floats in some fallbacks; this many decimals keeps them
# exact to MassGen's figures (checked to 1e-9) without binary noise.
_COST_DECIMALS = 12


def _cost(value: float) -> float:
    return round(value, _COST_DECIMALS)


def _known(value, recorded: bool):
    # A figure no file of the run records is unknown: null, never 0.
    return value if recorded else None


def _agent(agent: Agent) -> dict[str, Any]:
    usage = agent.usage_recorded
    return {
        "id": agent.id,
        "backend": agent.backend,
        "model": agent.model,
        "answers": agent.answers,
        "votes_cast": agent.votes_cast,
        "input_tokens": _known(agent.input_tokens, usage),
        "output_tokens": _known(agent.output_tokens, usage),
        "reasoning_tokens": _known(agent.reasoning_tokens, usage),
        "cached_input_tokens": _known(agent.cached_input_tokens, usage),
        "cost_usd": _known(_cost(agent.cost_usd), usage),
        "errors": agent.errors,
        "enforcement_retries": _known(agent.enforcement_retries, agent.enforcement_recorded),
        "restarts": agent.restarts,
        "provider_retries": agent.provider_retries,
    }


def _api_timing(attempt: Attempt) -> dict[str, Any] | None:
    timing = attempt.api_timing
    if timing is None:
        return None
    return {
        "total_calls": timing.total_calls,
        "total_time_ms": timing.total_time_ms,
        "avg_time_ms": timing.avg_time_ms,
        "avg_ttft_ms": timing.avg_ttft_ms,
        "by_backend": [
            {"backend": item.backend, "calls": item.calls, "time_ms": item.time_ms, "ttft_ms": item.ttft_ms}
            for item in timing.by_backend
        ],
    }


def _context_usage(attempt: Attempt) -> dict[str, Any] | None:
    usage = attempt.context_usage
    if usage is None:
        return None
    return {"avg_pct": usage.avg_pct, "peak_pct_by_agent": dict(usage.peak_pct_by_agent)}


def _attempt(attempt: Attempt) -> dict[str, Any]:
    # Votes are listed by voter, each voter's in the order cast.
    votes = sorted(attempt.votes, key=lambda vote: (vote.voter, time_key(vote.at)))
    recorded = attempt.totals.recorded
    tools = attempt.tools_recorded
    return {
        "attempt": attempt.number,
        "accepted": attempt.accepted,
        "complete": attempt.complete,
        "finish_reason": attempt.finish_reason,
        "question": attempt.question,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "duration_seconds": attempt.duration_seconds,
        "winner": attempt.winner,
        "presented_by": attempt.presented_by,
        "restart_reason": attempt.restart_reason,
        "likely_crash": attempt.likely_crash,
        "final_answer_chars": attempt.final_answer.char_count() if attempt.final_answer else None,
        "agents": [_agent(agent) for agent in attempt.agents],
        "votes": [{"voter": vote.voter, "voted_for": vote.voted_for, "label": vote.label, "reason": vote.reason} for vote in votes],
        "totals": {
            "input_tokens": _known(attempt.totals.input_tokens, recorded),
            "output_tokens": _known(attempt.totals.output_tokens, recorded),
            "reasoning_tokens": _known(attempt.totals.reasoning_tokens, recorded),
            "cached_input_tokens": _known(attempt.totals.cached_input_tokens, recorded),
            "cost_usd": _known(_cost(attempt.totals.cost_usd), recorded),
        },
        "rounds_by_outcome": dict(attempt.rounds_by_outcome),
        "tool_calls": _known(attempt.tool_calls, tools),
        "tool_failures": _known(attempt.tool_failures, tools),
        "tools": [
            {"name": tool.name, "calls": tool.calls, "failures": tool.failures, "total_ms": tool.total_ms} for tool in attempt.tools
        ]
        if tools
        else None,
        "restarts": sum(agent.restarts for agent in attempt.agents),
        "restart_triggers": attempt.restart_triggers,
        "provider_retries": [
            {"agent": retry.agent, "message": retry.message, "source": retry.source} for retry in attempt.provider_retries
        ],
        "api_timing": _api_timing(attempt),
        "context_usage": _context_usage(attempt),
        "subagents": [
            {
                "id": sub.id,
                "input_tokens": sub.input_tokens,
                "output_tokens": sub.output_tokens,
                "cost_usd": _cost(sub.cost_usd),
                "status": sub.status,
                "path": sub.path,
            }
            for sub in attempt.subagents
        ],
        "errors": [{"agent": error.agent, "kind": error.kind, "message": error.message} for error in attempt.errors],
        "warnings": list(attempt.warnings),
    }


def _turn(turn: Turn) -> dict[str, Any]:
    report = turn.analysis_report
    return {
        "turn": turn.number,
        "attempts": [_attempt(attempt) for attempt in turn.attempts],
        "analysis_report": {"path": report.path, "size": report.size} if report else None,
    }


def summarize(session: Session) -> dict[str, Any]:
    summary = {
        "format_version": FORMAT_VERSION,
        "session_id": session.session_id,
        "massgen_version": session.massgen_version,
        "turns": [_turn(turn) for turn in session.turns],
        "warnings": list(session.warnings),
        "massgen_session_id": session.massgen_session_id,
        "continues_session_id": session.continues_session_id,
    }
    # Everything in the model is scrubbed already; this guards the contract
    # itself against a field added later without it.
    return scrub(summary)
