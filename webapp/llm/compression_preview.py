"""The compression a run that does not fit would go through, as the preview shows
it: `analysis.compression.plan_compression` run with counted tokens and assumed
output sizes, nothing called."""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings

from analysis.report.input import AnalysisInput
from analysis.compression import DoesNotFit
from analysis.llm.budget import output_reserve
from analysis.llm.modelinfo import ModelInfo
from analysis.llm.pricing import estimate
from webapp.llm.compression_config import planned_compression
from webapp.llm.request_tokens import count_request_tokens

Compression = Literal["auto", "native", "summarize", "off"]
COMPRESSION_CHOICES: tuple[Compression, ...] = ("auto", "native", "summarize", "off")
DEFAULT_COMPRESSION: Compression = settings.DEBRIEF_COMPRESSION  # per process; each analysis may choose another


def is_compressed(estimate: dict[str, Any]) -> bool:
    """The estimated run will be shrunk before the analysis call."""
    plan = estimate["compression"]
    return bool(plan and plan["possible"] and plan["strategy"] != "none")


def can_run(estimate: dict[str, Any]) -> bool:
    """The rule an analysis request is held to, and the panel shows: the run fits
    the model's window as it is, or once compressed."""
    plan = estimate["compression"]
    return plan is None or plan["possible"]


def expected_total_usd(estimate: dict[str, Any]) -> float:
    """What the analysis is expected to cost: with its compression when it needs one."""
    return estimate["compression"]["total_usd"] if is_compressed(estimate) else estimate["total_usd"]


def compression_preview(model: ModelInfo, analysis_input: AnalysisInput, requested: Compression) -> dict[str, Any]:
    """The compression the run would go through and what the whole analysis then
    costs: the compression calls, plus the analysis call on the shrunk input priced
    like the uncompressed estimate (same output budget), so the two totals compare.
    `possible` is false, with the reason, when nothing makes the run fit."""
    try:
        plan = planned_compression(model, analysis_input, requested, count_request_tokens)
    except DoesNotFit as error:
        return {**_NO_PLAN, "requested": requested, "reason": str(error)}
    calls = [call for call in plan.calls if call.purpose != "analyze"]
    compression_usd = sum(call.cost_usd for call in calls)
    analysis = estimate(model, plan.final_call_input_tokens, output_reserve(model))
    return {
        "requested": requested,
        "possible": True,
        "strategy": plan.strategy,  # none (the analyzer's own budget holds it) | native | summarize
        "reason": plan.fallback_reason,
        "calls": [
            {
                "purpose": call.purpose,
                "model": call.model,
                "input_tokens": call.usage.input_tokens,
                "output_tokens": call.usage.output_tokens,
                "usd": call.cost_usd,
            }
            for call in calls
        ],
        "compression_usd": compression_usd,
        "final_input_tokens": plan.final_call_input_tokens,
        "budget_tokens": plan.budget,
        "analysis_input_usd": analysis.input_usd,
        "analysis_output_usd": analysis.output_usd,
        "total_usd": compression_usd + analysis.total_usd,
    }


_NO_PLAN = {
    "possible": False,
    "strategy": None,
    "calls": [],
    "compression_usd": None,
    "final_input_tokens": None,
    "budget_tokens": None,
    "analysis_input_usd": None,
    "analysis_output_usd": None,
    "total_usd": None,
}
