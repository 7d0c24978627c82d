"""The JSON contract of `debrief runs summary --json` (format_version 1).

Keys may be added to this contract; none may be removed or renamed. Figures
that MassGen records (tokens, costs, winner, rounds, tools) are passed through
exactly; docs/reader.md says where each field comes from."""

from __future__ import annotations

from typing import Any

from analysis.massgen.merge import time_key
from analysis.massgen.model import Agent, Attempt, Session
from analysis.redaction.scrub import scrub

FORMAT_VERSION = 1
# Costs are sums of floats in some fallbacks; this many decimals keeps them
# exact to MassGen's figures (checked to 1e-9) without binary noise.
_COST_DECIMALS = 12


def _cost(value: float) -> float:
    return round(value, _COST_DECIMALS)


def _agent(agent: Agent) -> dict[str, Any]:
    return {
        "id": agent.id,
        "backend": agent.backend,
        "model": agent.model,
        "answers": agent.answers,
        "votes_cast": agent.votes_cast,
        "input_tokens": agent.input_tokens,
        "output_tokens": agent.output_tokens,
        "reasoning_tokens": agent.reasoning_tokens,
        "cached_input_tokens": agent.cached_input_tokens,
        "cost_usd": _cost(agent.cost_usd),
        "errors": agent.errors,
        "enforcement_retries": agent.enforcement_retries,
    }


def _attempt(attempt: Attempt) -> dict[str, Any]:
    # Votes are listed by voter, each voter's in the order cast.
    votes = sorted(attempt.votes, key=lambda vote: (vote.voter, time_key(vote.at)))
    return {
        "attempt": attempt.number,
        "accepted": attempt.accepted,
        "complete": attempt.complete,
        "finish_reason": attempt.finish_reason,
        "question": attempt.question,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "duration_seconds": attempt.duration_seconds,
        "winner": attempt.winner,
        "final_answer_chars": attempt.final_answer.char_count() if attempt.final_answer else None,
        "agents": [_agent(agent) for agent in attempt.agents],
        "votes": [{"voter": vote.voter, "voted_for": vote.voted_for, "label": vote.label, "reason": vote.reason} for vote in votes],
        "totals": {
            "input_tokens": attempt.totals.input_tokens,
            "output_tokens": attempt.totals.output_tokens,
            "reasoning_tokens": attempt.totals.reasoning_tokens,
            "cached_input_tokens": attempt.totals.cached_input_tokens,
            "cost_usd": _cost(attempt.totals.cost_usd),
        },
        "rounds_by_outcome": dict(attempt.rounds_by_outcome),
        "tool_calls": attempt.tool_calls,
        "tool_failures": attempt.tool_failures,
        "errors": [{"agent": error.agent, "kind": error.kind, "message": error.message} for error in attempt.errors],
        "warnings": list(attempt.warnings),
    }


def summarize(session: Session) -> dict[str, Any]:
    summary = {
        "format_version": FORMAT_VERSION,
        "session_id": session.session_id,
        "massgen_version": session.massgen_version,
        "turns": [{"turn": turn.number, "attempts": [_attempt(attempt) for attempt in turn.attempts]} for turn in session.turns],
        "warnings": list(session.warnings),
    }
    # Everything in the model is scrubbed already; this guards the contract
    # itself against a field added later without it.
    return scrub(summary)
