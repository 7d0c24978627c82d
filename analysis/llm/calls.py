"""Shapes shared by compression, the analyzer and follow-ups: a prompt ready to send,
and the record kept of every call (persisted by the task layer after each one so
a redelivered task does not pay twice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from analysis.llm.usage import Usage

Purpose = Literal["compact", "summarize", "analyze", "retry", "followup"]


@dataclass(frozen=True)
class Prompt:
    instructions: str
    items: list[dict[str, Any]] = field(default_factory=list)  # Responses-API input items


@dataclass(frozen=True)
class CallRecord:
    """One call made (or, in a plan, one call foreseen, with the usage it assumes)."""

    purpose: Purpose
    model: str  # ModelInfo.name
    usage: Usage
    cost_usd: float
    response_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "model": self.model,
            "usage": self.usage.to_dict(),
            "cost_usd": self.cost_usd,
            "response_id": self.response_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CallRecord":
        usage = Usage.from_dict(data["usage"])
        return cls(data["purpose"], data["model"], usage, data["cost_usd"], data["response_id"])


def user_message(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def assistant_message(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def total_usage(calls: list[CallRecord]) -> Usage:
    return sum((call.usage for call in calls), Usage())


def total_cost(calls: list[CallRecord]) -> float:
    return sum(call.cost_usd for call in calls)
