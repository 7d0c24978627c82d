"""The deployment's compression settings (the Compression block of settings.py)
as the analysis task, the cost preview and follow-ups hand them to
`analysis.compression`, so that the preview plans what the task will do."""

from __future__ import annotations

from django.conf import settings

from analysis.report.input import AnalysisInput
from analysis.compression import CompressionPlan, CompressionSettings, Strategy, plan_compression
from analysis.llm.budget import input_budget
from analysis.llm.tokens import RequestTokenCounter
from analysis.llm.modelinfo import ModelInfo
from analysis.registry import RegistryError
from analysis.registry.errors import ConfigError
from analysis.registry.providers import api_key_for
from webapp.llm.compaction_memory import DatabaseCompactionSupport
from webapp.llm.registry import get_registry

WHOLE_BUDGET = 1.0


class SummariserUnavailable(ConfigError):
    """DEBRIEF_SUMMARISER_MODEL names a model this deployment cannot call."""


def summariser_model() -> ModelInfo | None:
    """The configured summariser; None: each analysis model summarises for itself."""
    name = settings.DEBRIEF_SUMMARISER_MODEL
    if not name:
        return None
    try:
        return get_registry().require_available(name)
    except RegistryError as error:
        raise SummariserUnavailable(f"DEBRIEF_SUMMARISER_MODEL={name!r}: {error}") from error


def threshold_fraction(strategy: Strategy) -> float:
    # `off` refuses what does not fit; a run under the budget but over a lower
    # threshold still fits, so it is sent as it is rather than refused.
    return WHOLE_BUDGET if strategy == "off" else settings.DEBRIEF_COMPRESSION_THRESHOLD


def compression_settings(strategy: Strategy, *, fallback_on_rate_limit: bool = False) -> CompressionSettings:
    summariser = summariser_model()
    return CompressionSettings(
        strategy=strategy,
        threshold_fraction=threshold_fraction(strategy),
        summariser=summariser,
        summariser_api_key=api_key_for(summariser) if summariser else None,
        memory=DatabaseCompactionSupport(),
        fallback_on_rate_limit=fallback_on_rate_limit,
    )


def needs_compression(model: ModelInfo, input_tokens: int, strategy: Strategy) -> bool:
    """Whether the analysis of a request this large compresses (or, with `off`, is refused)."""
    return input_tokens > threshold_fraction(strategy) * input_budget(model)


def planned_compression(
    model: ModelInfo, analysis_input: AnalysisInput, strategy: Strategy, token_counter: RequestTokenCounter
) -> CompressionPlan:
    """`plan_compression` with the settings the analysis task will use."""
    options = compression_settings(strategy)
    return plan_compression(
        model,
        analysis_input,
        strategy,
        options.summariser,
        token_counter,
        threshold_fraction=options.threshold_fraction,
        memory=options.memory,
    )


def plan_cache_parts(model: ModelInfo, strategy: Strategy) -> tuple[str, ...]:
    """What, besides the run and the model, changes a plan: a cached plan made
    before the model's compact endpoint refused would promise compaction."""
    summariser = settings.DEBRIEF_SUMMARISER_MODEL or ""
    refused = (DatabaseCompactionSupport().unsupported_reason(model) if model.supports_native_compaction else None) or ""
    return (strategy, repr(threshold_fraction(strategy)), summariser, refused)
