"""The JSON shapes of models and estimates: a public API contract (the web API, the
CLI's --json and the UI all read them). Keys may be added, never renamed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from analysis.llm.modelinfo import ModelInfo
from analysis.llm.pricing import PER_MILLION_TOKENS, Estimate
from analysis.registry.availability import Availability
from analysis.registry.recommend import Recommendation

# Per-million prices are for people: rounding drops float noise (0.024999999999999998)
# far below a cent. Dollar amounts are not rounded: they must equal litellm's.
PRICE_DECIMALS = 9


def model_to_dict(model: ModelInfo, availability: Availability, is_default: bool) -> dict[str, Any]:
    priced = model.price_known
    return {
        "name": model.name,
        "provider": model.provider,
        "available": availability.available,
        "unavailable_reason": availability.reason,
        "context_window": model.context_window,
        "max_output_tokens": model.max_output_tokens,
        # null when the price is unknown (a model only its endpoint's list names)
        "input_usd_per_mtok": _per_mtok(model.input_usd_per_token) if priced else None,
        "output_usd_per_mtok": _per_mtok(model.output_usd_per_token) if priced else None,
        "cached_input_usd_per_mtok": _per_mtok(model.cached_input_usd_per_token) if priced else None,
        "supports_reasoning": model.supports_reasoning,
        "supports_native_compaction": model.supports_native_compaction,
        "is_default": is_default,
        "api": model.api,
        "custom": model.custom,
        "listed_live": availability.listed_live,
        # "not confirmed: ..." when the endpoint's model list could not be read.
        "availability_note": availability.note,
        "price_known": priced,
    }


def recommendation_to_dict(recommendation: Recommendation) -> dict[str, Any]:
    data = asdict(recommendation)
    data["warnings"] = list(recommendation.warnings)
    return data


def estimate_to_dict(
    estimate: Estimate,
    recommendation: Recommendation | None = None,
    compression: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`compression` is filled in by the compression planner when the run must shrink."""
    rates = estimate.rates
    priced = estimate.price_known
    return {
        "model": estimate.model,
        "input_tokens": estimate.input_tokens,
        "output_tokens": estimate.output_tokens,
        "cached_input_tokens": estimate.cached_input_tokens,
        "input_usd": estimate.input_usd,
        "output_usd": estimate.output_usd,
        "total_usd": estimate.total_usd,
        "input_usd_per_mtok": _per_mtok(rates.input_usd_per_token) if priced else None,
        "output_usd_per_mtok": _per_mtok(rates.output_usd_per_token) if priced else None,
        "cached_input_usd_per_mtok": _per_mtok(rates.cached_input_usd_per_token) if priced else None,
        "context_window": estimate.context_window,
        "output_reserve_tokens": estimate.output_reserve_tokens,
        "safety_margin_tokens": estimate.safety_margin_tokens,
        "fits_context": estimate.fits_context,
        "compression": dict(compression) if compression is not None else None,
        "recommendation": recommendation_to_dict(recommendation) if recommendation is not None else None,
        # False: the dollar figures above are 0 because nobody priced this model; `price_note` asks for a price.
        "price_known": priced,
        "price_note": None if priced else unknown_price_note(estimate.model),
    }


def unknown_price_note(model: str) -> str:
    return (
        f"{model} has no known price (its endpoint lists it, but neither litellm's price map nor the models "
        f"file prices it), so its cost is counted as $0. To estimate and budget it, add it to the models file "
        f"(DEBRIEF_MODELS_FILE) with input_usd_per_mtok and output_usd_per_mtok; see docs/models.md."
    )


def _per_mtok(usd_per_token: float | None) -> float | None:
    return None if usd_per_token is None else round(usd_per_token * PER_MILLION_TOKENS, PRICE_DECIMALS)
