"""What Debrief knows about one analysis model: the contract between the registry
(which builds these), the pricing and compression code, and the analyzer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Api = Literal["responses", "chat", "offline"]


@dataclass(frozen=True)
class PriceTier:
    """Long-context pricing: once a request's input passes `above_input_tokens`, every
    token of it (input, cached and output) is billed at these rates, as litellm does."""

    above_input_tokens: int
    input_usd_per_token: float
    output_usd_per_token: float
    cached_input_usd_per_token: float


@dataclass(frozen=True)
class ModelInfo:
    name: str  # what users type and see, e.g. "gpt-5-mini", "anthropic/claude-sonnet-4-5"
    provider: str  # "openai", "azure", "anthropic", "gemini", ..., "custom", "debrief"
    litellm_model: str  # what litellm is called with, e.g. "openai/gpt-5-mini"
    api: Api  # OpenAI/Azure use the Responses API, everyone else chat completions
    context_window: int
    max_output_tokens: int
    # Per-token prices are the source of truth so that our estimates equal
    # litellm.cost_per_token to the last bit; per-million figures are for people.
    input_usd_per_token: float
    output_usd_per_token: float
    cached_input_usd_per_token: float | None
    supports_reasoning: bool
    supports_native_compaction: bool
    api_base: str | None = None
    api_key_env: str | None = None  # environment variable holding the key, if any
    tokenizer_model: str | None = None  # name litellm.token_counter understands; None = litellm_model
    custom: bool = False
    price_tiers: tuple[PriceTier, ...] = ()  # ascending by threshold; empty = flat prices
    # False for a model an endpoint lists that neither litellm's price map nor the
    # models file prices: its prices above are 0 and mean "unknown", not "free".
    price_known: bool = True

    @property
    def api_model_id(self) -> str:
        """The id the provider's own API knows (what its `GET /models` lists)."""
        return self.litellm_model.split("/", 1)[-1]

    @property
    def input_usd_per_mtok(self) -> float:
        return self.input_usd_per_token * 1_000_000

    @property
    def output_usd_per_mtok(self) -> float:
        return self.output_usd_per_token * 1_000_000

    @property
    def cached_input_usd_per_mtok(self) -> float | None:
        if self.cached_input_usd_per_token is None:
            return None
        return self.cached_input_usd_per_token * 1_000_000


# What a keyless local server (a custom model with no api_key_env) is sent: it
# ignores the key, but the OpenAI client refuses to start without one.
KEYLESS_PLACEHOLDER = "no-key"
