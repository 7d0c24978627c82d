"""What an analysis costs and whether it fits the model's context window.

The arithmetic mirrors litellm's `cost_per_token` for text tokens (same per-token
floats, same order of operations, same long-context tiers) so that an estimate made
before a run equals what litellm reports after it, to the last bit. The one exception
is a time-of-day discount (a few DeepSeek models' off-peak hours): estimates use the
standard rate, an upper bound, since when a queued run will start is not known."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.llm.budget import output_reserve, safety_margin
from analysis.llm.modelinfo import ModelInfo

PER_MILLION_TOKENS = 1_000_000  # prices are shown to people per million tokens


@dataclass(frozen=True)
class Rates:
    input_usd_per_token: float
    output_usd_per_token: float
    cached_input_usd_per_token: float


@dataclass(frozen=True)
class Estimate:
    model: str
    input_tokens: int  # all input, cached included
    output_tokens: int  # the output priced
    cached_input_tokens: int
    rates: Rates  # the rates this request size is billed at
    input_usd: float
    output_usd: float
    context_window: int
    # The window check is the analyzer's own (analysis.llm.budget), so a run said to
    # fit is one the analyzer sends without compressing.
    output_reserve_tokens: int
    safety_margin_tokens: int
    price_known: bool = True  # False: the dollar figures are 0 because the model has no price

    @property
    def total_usd(self) -> float:
        return self.input_usd + self.output_usd

    @property
    def fits_context(self) -> bool:
        needed = self.input_tokens + self.output_reserve_tokens + self.safety_margin_tokens
        return needed <= self.context_window


def rates_for(model: ModelInfo, input_tokens: int) -> Rates:
    """The flat rates, or those of the highest long-context tier the input passes."""
    input_rate, output_rate = model.input_usd_per_token, model.output_usd_per_token
    # litellm bills cached input at the input rate when the model publishes no cached price.
    cached_rate = input_rate if model.cached_input_usd_per_token is None else model.cached_input_usd_per_token
    for tier in model.price_tiers:
        if input_tokens > tier.above_input_tokens:
            input_rate, output_rate = tier.input_usd_per_token, tier.output_usd_per_token
            cached_rate = tier.cached_input_usd_per_token
    return Rates(input_rate, output_rate, cached_rate)


def cost_usd(
    model: ModelInfo, input_tokens: int, output_tokens: int, cached_input_tokens: int = 0
) -> tuple[float, float]:
    """(input_usd, output_usd), as litellm.cost_per_token computes them."""
    return _cost(rates_for(model, input_tokens), input_tokens, output_tokens, cached_input_tokens)


def _cost(rates: Rates, input_tokens: int, output_tokens: int, cached_input_tokens: int) -> tuple[float, float]:
    input_usd = float(input_tokens - cached_input_tokens) * rates.input_usd_per_token
    input_usd += float(cached_input_tokens) * rates.cached_input_usd_per_token
    return input_usd, float(output_tokens) * rates.output_usd_per_token


def estimate(
    model: ModelInfo,
    input_tokens: int,
    output_tokens: int | None = None,
    cached_input_tokens: int = 0,
) -> Estimate:
    """`output_tokens` defaults to the model's max output: the most the run can cost."""
    if output_tokens is None:
        output_tokens = model.max_output_tokens
    if input_tokens < 0 or output_tokens < 0:
        raise ValueError("token counts cannot be negative")
    if not 0 <= cached_input_tokens <= input_tokens:
        raise ValueError("cached_input_tokens must be between 0 and input_tokens")
    rates = rates_for(model, input_tokens)
    input_usd, output_usd = _cost(rates, input_tokens, output_tokens, cached_input_tokens)
    return Estimate(
        model=model.name,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached_input_tokens,
        rates=rates,
        input_usd=input_usd,
        output_usd=output_usd,
        context_window=model.context_window,
        output_reserve_tokens=output_reserve(model),
        safety_margin_tokens=safety_margin(model),
        price_known=model.price_known,
    )
