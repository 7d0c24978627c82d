"""Provider calls counted for /metrics (debrief_llm_calls_total and
debrief_llm_cost_usd_total), by the analysis and follow-up workers that make them."""

from __future__ import annotations

from analysis.registry import RegistryError
from webapp.core import metrics
from webapp.llm.registry import get_registry

OK = "ok"
# A call the provider probably billed but whose reply never came (killed worker,
# time-out mid-call); counted at its estimate.
UNCONFIRMED = "unconfirmed"


def provider_of(model_name: str) -> str:
    try:
        return get_registry().get(model_name).provider
    except RegistryError:  # a model since removed from the registry
        return "unknown"


def failed_status(error: Exception) -> str:
    """`http_429`, `http_500`, ... for a provider's answer; `error` for a call
    that got none (time-out, connection refused)."""
    code = getattr(error, "status_code", None)
    return f"http_{code}" if isinstance(code, int) else "error"


def count_failed_call(model_name: str, error: Exception) -> None:
    count_call(model_name, failed_status(error), 0)


def count_call(model_name: str, status: str, cost_usd: float) -> None:
    provider = provider_of(model_name)
    metrics.inc("debrief_llm_calls", provider=provider, model=model_name, status=status)
    metrics.inc("debrief_llm_cost_usd", float(cost_usd or 0), provider=provider, model=model_name)
