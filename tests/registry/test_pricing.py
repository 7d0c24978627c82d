"""Estimates are what litellm will bill: same per-token floats, same tiers."""

from __future__ import annotations

import pytest

from analysis.llm.litellm_env import bundled_price_map, get_litellm
from analysis.llm.budget import input_budget
from analysis.llm.pricing import estimate
from analysis.registry.litellm_catalog import litellm_catalog
from tests.registry.conftest import build

RUN_SIZES = [  # (input, output, cached input): small, mid, past the 200k/272k tiers, cached
    (1_200, 800, 0),
    (150_000, 8_000, 0),
    (250_000, 1_000, 0),
    (300_000, 70_000, 20_000),
]


def _litellm_cost(litellm_model: str, input_tokens: int, output_tokens: int, cached: int) -> tuple[float, float]:
    return get_litellm().cost_per_token(
        model=litellm_model,
        prompt_tokens=input_tokens,
        completion_tokens=output_tokens,
        cache_read_input_tokens=cached,
    )


@pytest.mark.parametrize(
    "name",
    [
        "gpt-5-mini",
        "gpt-4o",
        "o3",
        "anthropic/claude-sonnet-4-5",
        "anthropic/claude-opus-4-5",
        "gemini/gemini-2.5-pro",
        "gemini/gemini-2.5-flash",
        "vertex_ai/gemini-2.5-pro",
        "xai/grok-4.3",
        "dashscope/qwen-flash",
    ],
)
@pytest.mark.parametrize(("input_tokens", "output_tokens", "cached"), RUN_SIZES)
def test_estimate_equals_litellm_cost_per_token(name, input_tokens, output_tokens, cached):
    model = build().get(name)
    result = estimate(model, input_tokens, output_tokens, cached)
    input_usd, output_usd = _litellm_cost(model.litellm_model, input_tokens, output_tokens, cached)
    assert (result.input_usd, result.output_usd) == (input_usd, output_usd)
    assert result.total_usd == input_usd + output_usd


def test_every_offered_litellm_model_is_priced_like_litellm():
    """Guards the whole catalog against a litellm upgrade changing its arithmetic."""
    off_peak = {key for key, entry in bundled_price_map().items() if "off_peak_pricing" in (entry or {})}
    mismatches = []
    for model in litellm_catalog():
        if model.api_model_id in off_peak or model.litellm_model in off_peak:
            continue  # time-of-day discounts: we estimate the standard rate (docs/models.md)
        # Each side of every tier boundary too (xAI's are inclusive, others' not); an
        # empty prompt is no run, and table-only models price it differently.
        boundaries = [
            (size, 1_000, 0)
            for tier in model.price_tiers
            for size in (tier.above_input_tokens, tier.above_input_tokens + 1)
            if size > 0
        ]
        for input_tokens, output_tokens, cached in RUN_SIZES + boundaries:
            ours = estimate(model, input_tokens, output_tokens, cached)
            theirs = _litellm_cost(model.litellm_model, input_tokens, output_tokens, cached)
            if (ours.input_usd, ours.output_usd) != pytest.approx(theirs, rel=1e-12, abs=1e-15):
                mismatches.append((model.name, input_tokens, (ours.input_usd, ours.output_usd), theirs))
    assert mismatches == []


def test_the_long_context_rate_starts_past_the_threshold():
    model = build().get("gemini/gemini-2.5-pro")
    at, past = estimate(model, 200_000, 0), estimate(model, 200_001, 0)
    assert at.rates.input_usd_per_token == model.input_usd_per_token
    assert past.rates.input_usd_per_token == model.price_tiers[0].input_usd_per_token > at.rates.input_usd_per_token


def test_output_defaults_to_the_models_max_output():
    model = build().get("anthropic/claude-sonnet-4-5")
    result = estimate(model, 10_000)
    assert result.output_tokens == model.max_output_tokens
    assert result.output_usd == model.max_output_tokens * model.output_usd_per_token


def test_cached_input_is_billed_at_the_cached_rate():
    model = build().get("gpt-5-mini")
    result = estimate(model, 100_000, 0, cached_input_tokens=40_000)
    assert result.input_usd == 60_000 * model.input_usd_per_token + 40_000 * model.cached_input_usd_per_token


@pytest.mark.parametrize("name", ["anthropic/claude-sonnet-4-5", "gpt-5-mini", "gemini/gemini-2.5-pro", "debrief/offline"])
def test_a_run_fits_exactly_when_the_analyzer_would_send_it_uncompressed(name):
    model = build().get(name)
    budget = input_budget(model)  # window - output reserve - safety margin
    assert estimate(model, budget).fits_context
    assert not estimate(model, budget + 1).fits_context


def test_the_output_budget_changes_the_price_not_the_window_check():
    model = build().get("anthropic/claude-sonnet-4-5")
    small, large = estimate(model, 150_000, output_tokens=500), estimate(model, 150_000)
    assert small.total_usd < large.total_usd
    assert (small.fits_context, small.output_reserve_tokens) == (large.fits_context, large.output_reserve_tokens)


@pytest.mark.parametrize(("input_tokens", "output_tokens", "cached"), [(-1, 0, 0), (10, -1, 0), (10, 0, 11)])
def test_impossible_token_counts_are_rejected(input_tokens, output_tokens, cached):
    with pytest.raises(ValueError):
        estimate(build().get("gpt-5-mini"), input_tokens, output_tokens, cached)
