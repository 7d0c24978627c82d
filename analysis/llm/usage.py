"""Token usage of one call as the provider reported it, and what it cost."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from analysis.llm import pricing
from analysis.llm.modelinfo import ModelInfo


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0  # all input, cached included
    output_tokens: int = 0  # all output, reasoning included
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.reasoning_tokens + other.reasoning_tokens,
        )

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Usage":
        return cls(**data)

    @classmethod
    def from_api(cls, usage: Any) -> "Usage":
        """Read either API's usage block (Responses: input_tokens...; Chat: prompt_tokens...)."""
        data = _as_dict(usage)
        if "input_tokens" in data or "output_tokens" in data:
            input_details, output_details = "input_tokens_details", "output_tokens_details"
            input_key, output_key = "input_tokens", "output_tokens"
        else:
            input_details, output_details = "prompt_tokens_details", "completion_tokens_details"
            input_key, output_key = "prompt_tokens", "completion_tokens"
        return cls(
            input_tokens=int(data.get(input_key) or 0),
            output_tokens=int(data.get(output_key) or 0),
            cached_input_tokens=int(_as_dict(data.get(input_details)).get("cached_tokens") or 0),
            reasoning_tokens=int(_as_dict(data.get(output_details)).get("reasoning_tokens") or 0),
        )


def cost_usd(model: ModelInfo, usage: Usage) -> float:
    """The provider's counts at our prices (analysis.llm.pricing, which bills as litellm
    does: cached input at the cached price). Reasoning tokens are inside output_tokens."""
    input_usd, output_usd = pricing.cost_usd(model, usage.input_tokens, usage.output_tokens, usage.cached_input_tokens)
    return input_usd + output_usd


def _as_dict(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if hasattr(value, "model_dump"):
        return value.model_dump()
    return dict(vars(value))
