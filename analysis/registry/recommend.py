"""Advice for one run size: the default model, the cheapest available model that
holds the run without compression, and warnings about the chosen model."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from analysis.llm.modelinfo import ModelInfo
from analysis.llm.pricing import Estimate, estimate


@dataclass(frozen=True)
class Recommendation:
    default_model: str
    cheapest_fitting_model: str | None  # None when no available model holds the run uncompressed
    cheapest_fitting_total_usd: float | None
    needs_compression: bool  # the chosen model's window cannot hold the run as is
    exceeds_cost_threshold: bool
    cost_warning_usd: float
    warnings: tuple[str, ...]


def recommend(
    chosen: Estimate,
    candidates: Iterable[ModelInfo],
    default_model: str,
    cost_warning_usd: float,
) -> Recommendation:
    """`candidates` are the available models. Each is priced for the chosen estimate's
    input and output budget (capped at its own max output) so totals compare like for
    like; the offline analyzer is not an LLM and is never the "cheapest model"."""
    cheapest: Estimate | None = None
    for model in candidates:
        if model.api == "offline" or not model.price_known:
            continue  # an unpriced model's $0 is not "cheapest"
        candidate = estimate(
            model,
            chosen.input_tokens,
            min(chosen.output_tokens, model.max_output_tokens),
            chosen.cached_input_tokens,
        )
        if candidate.fits_context and (cheapest is None or _price_order(candidate) < _price_order(cheapest)):
            cheapest = candidate
    warnings = []
    if not chosen.fits_context:
        warning = (
            f"{chosen.model} cannot hold this run uncompressed ({chosen.input_tokens:,} input + "
            f"{chosen.output_reserve_tokens:,} output + {chosen.safety_margin_tokens:,} margin tokens > its "
            f"{chosen.context_window:,}-token window): it will be compressed first."
        )
        if cheapest is not None:
            warning += f" {cheapest.model} holds it uncompressed for ${cheapest.total_usd:.2f}."
        warnings.append(warning)
    if not chosen.price_known:
        warnings.append(f"{chosen.model} has no known price: its cost is counted as $0; give it a price in the models file.")
    exceeds = chosen.total_usd > cost_warning_usd
    if exceeds:
        warnings.append(
            f"Estimated cost ${chosen.total_usd:.2f} exceeds the ${cost_warning_usd:.2f} warning threshold."
        )
    return Recommendation(
        default_model=default_model,
        cheapest_fitting_model=cheapest.model if cheapest else None,
        cheapest_fitting_total_usd=cheapest.total_usd if cheapest else None,
        needs_compression=not chosen.fits_context,
        exceeds_cost_threshold=exceeds,
        cost_warning_usd=cost_warning_usd,
        warnings=tuple(warnings),
    )


def _price_order(candidate: Estimate) -> tuple[float, str]:
    return candidate.total_usd, candidate.model  # the name breaks ties so the answer is stable
