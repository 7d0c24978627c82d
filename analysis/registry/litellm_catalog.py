"""Every chat model in litellm's bundled price map, as ModelInfo.

Prices are kept as litellm's own per-token floats, long-context tiers included, so
that `analysis.llm.pricing` reproduces `litellm.cost_per_token` exactly. Entries that
cannot be priced per token or have no known context window are left out: an
estimate for them would be a guess."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from analysis.llm.litellm_env import bundled_price_map
from analysis.llm.modelinfo import ModelInfo, PriceTier
from analysis.llm.compact import COMPACTING_PROVIDERS
from analysis.registry.providers import EXCLUDED_PROVIDERS, provider_spec

CHAT_MODES = frozenset({"chat", "responses"})
# litellm 1.106.2 lists this one but cannot route or price it.
UNPRICEABLE_MODELS = frozenset({"azure/mistral-large-latest"})
# litellm's `litellm_provider` values that route under another name.
_ROUTE_PREFIXES = {"bedrock_converse": "bedrock/converse"}
_PROVIDER_ALIASES = {"bedrock_converse": "bedrock"}
# The rate families litellm raises past an `_above_<N>_tokens` threshold, and the
# suffixes of variants that apply only to batch or service-tier requests.
_TIER_RATES = ("input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost", "cache_creation_input_token_cost")
_TIER_RATE_PREFIXES = tuple(f"{rate}_above_" for rate in _TIER_RATES)
_NON_STANDARD_SUFFIXES = ("_flex", "_balanced", "_priority", "_ultrafast", "_batches")
# xAI bills the higher tier once the prompt reaches the threshold, not past it.
_INCLUSIVE_THRESHOLD_PROVIDERS = frozenset({"xai"})
# Fireworks bills cached input at half the input rate when the map gives no cached price.
_DEFAULT_CACHED_RATIO = {"fireworks_ai": 0.5}


@cache
def litellm_catalog() -> tuple[ModelInfo, ...]:
    """Parsed once per process; the registry filters and adjusts copies per config."""
    by_name: dict[str, ModelInfo] = {}
    canonical: set[str] = set()
    for key, entry in bundled_price_map().items():
        model = _model_from_entry(key, entry)
        if model is None or model.name in canonical:
            continue
        # Two keys can name one model ("deepseek-chat", "deepseek/deepseek-chat");
        # litellm prices the key spelled exactly like the model, so that one wins.
        if key in (model.name, model.litellm_model):
            canonical.add(model.name)
            by_name[model.name] = model
        else:
            by_name.setdefault(model.name, model)
    return tuple(by_name.values())


def provider_of(litellm_provider: str) -> str:
    # litellm splits Vertex AI by model family ("vertex_ai-anthropic_models") but routes all as vertex_ai.
    if litellm_provider.startswith("vertex_ai"):
        return "vertex_ai"
    return _PROVIDER_ALIASES.get(litellm_provider, litellm_provider)


def _model_from_entry(key: str, entry: Any) -> ModelInfo | None:
    if not isinstance(entry, Mapping) or entry.get("mode") not in CHAT_MODES:
        return None
    raw_provider = entry.get("litellm_provider")
    if not isinstance(raw_provider, str) or raw_provider in EXCLUDED_PROVIDERS:
        return None
    input_rate, output_rate = _rate(entry, "input_cost_per_token"), _rate(entry, "output_cost_per_token")
    table_tiers = _tiered_pricing(entry, output_rate or 0.0)
    if table_tiers and input_rate is None:
        # A table without flat rates: its first tier is what any non-empty prompt pays.
        input_rate, output_rate = table_tiers[0].input_usd_per_token, table_tiers[0].output_usd_per_token
    context_window = _positive_int(entry.get("max_input_tokens"))
    max_output = _positive_int(entry.get("max_output_tokens")) or _positive_int(entry.get("max_tokens"))
    if input_rate is None or output_rate is None or context_window is None or max_output is None:
        return None
    provider = provider_of(raw_provider)
    route = _ROUTE_PREFIXES.get(raw_provider, provider)
    litellm_model = key if key.startswith(f"{route}/") else f"{route}/{key}"
    if litellm_model in UNPRICEABLE_MODELS:
        return None
    spec = provider_spec(provider)
    api = spec.api
    endpoints = entry.get("supported_endpoints")
    if api == "responses" and isinstance(endpoints, list) and "/v1/responses" not in endpoints:
        api = "chat"
    cached_rate = _rate(entry, "cache_read_input_token_cost")
    if cached_rate is None and raw_provider in _DEFAULT_CACHED_RATIO:
        cached_rate = input_rate * _DEFAULT_CACHED_RATIO[raw_provider]
    bare_id = litellm_model.split("/", 1)[1]
    return ModelInfo(
        # OpenAI models keep the bare names people know ("gpt-5-mini"); others say whose they are.
        name=bare_id if provider == "openai" else litellm_model,
        provider=provider,
        litellm_model=litellm_model,
        api=api,
        context_window=context_window,
        max_output_tokens=max_output,
        input_usd_per_token=input_rate,
        output_usd_per_token=output_rate,
        cached_input_usd_per_token=cached_rate,
        supports_reasoning=entry.get("supports_reasoning") is True,
        # Only OpenAI's endpoint is compacted (analysis/llm/compact.py:COMPACTING_PROVIDERS):
        # Azure speaks the Responses API but is planned, priced and run as summarise.
        supports_native_compaction=api == "responses" and provider in COMPACTING_PROVIDERS,
        api_key_env=spec.api_key_env,
        # litellm picks the right tiktoken encoding only from the bare OpenAI name.
        tokenizer_model=bare_id if provider in ("openai", "azure") else None,
        price_tiers=table_tiers or _threshold_tiers(entry, provider, input_rate, output_rate, cached_rate),
    )


def _threshold_tiers(
    entry: Mapping[str, Any], provider: str, input_rate: float, output_rate: float, cached_rate: float | None
) -> tuple[PriceTier, ...]:
    """`<rate>_above_<N>_tokens` keys; each threshold passed overrides the rates it
    names and keeps the others, as litellm's `_get_token_base_cost` does."""
    thresholds: dict[str, float] = {}
    for key, value in entry.items():
        if value is None or not key.startswith(_TIER_RATE_PREFIXES) or "_tokens" not in key:
            continue
        if key.endswith(_NON_STANDARD_SUFFIXES):
            continue
        label = key.rsplit("_above_", 1)[1].split("_tokens")[0]
        try:
            thresholds[label] = float(label.replace("k", "")) * (1000 if "k" in label else 1)
        except ValueError:
            continue
    tiers = []
    inclusive = provider in _INCLUSIVE_THRESHOLD_PROVIDERS
    for label, threshold in sorted(thresholds.items(), key=lambda item: item[1]):
        input_rate = _rate(entry, f"input_cost_per_token_above_{label}_tokens", input_rate)
        output_rate = _rate(entry, f"output_cost_per_token_above_{label}_tokens", output_rate)
        cached_rate = _rate(entry, f"cache_read_input_token_cost_above_{label}_tokens", cached_rate)
        tiers.append(
            PriceTier(
                above_input_tokens=int(threshold) - (1 if inclusive else 0),
                input_usd_per_token=input_rate,
                output_usd_per_token=output_rate,
                cached_input_usd_per_token=input_rate if cached_rate is None else cached_rate,
            )
        )
    return tuple(tiers)


def _tiered_pricing(entry: Mapping[str, Any], output_rate: float) -> tuple[PriceTier, ...]:
    """A `tiered_pricing` table (Alibaba-style ranges): the tier whose range holds the
    input bills every token; a tier's missing output rate is the model's own."""
    table = entry.get("tiered_pricing")
    if not isinstance(table, list):
        return ()
    ranged = [tier for tier in table if isinstance(tier, Mapping) and len(tier.get("range") or ()) == 2]
    tiers = []
    for tier in sorted(ranged, key=lambda tier: tier["range"][0]):
        tier_input = _rate(tier, "input_cost_per_token")
        if tier_input is None:
            continue
        tiers.append(
            PriceTier(
                above_input_tokens=int(tier["range"][0]),
                input_usd_per_token=tier_input,
                output_usd_per_token=_rate(tier, "output_cost_per_token", output_rate),
                cached_input_usd_per_token=_rate(tier, "cache_read_input_token_cost", tier_input),
            )
        )
    return tuple(tiers)


def _rate(entry: Mapping[str, Any], key: str, default: float | None = None) -> float | None:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return default
    try:
        return float(value)
    except ValueError:
        return default


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        return None
    return int(value)
