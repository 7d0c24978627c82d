"""How a deployment shapes the model registry. The web layer fills this from Django
settings; tests build it by hand with an injected environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

# Environment variables read by the registry itself; they beat the matching settings
# so one deployment can override what the settings file ships.
DEFAULT_MODEL_ENV = "DEBRIEF_ANALYSIS_MODEL"
MODELS_FILE_ENV = "DEBRIEF_MODELS_FILE"

# The model a provider's key brings when nothing else names a default, tried in order.
DEFAULT_PROVIDER_DEFAULTS: Mapping[str, str] = MappingProxyType(
    {
        "openai": "gpt-5-mini",
        "anthropic": "anthropic/claude-sonnet-4-5",
        "gemini": "gemini/gemini-2.5-flash",
    }
)
DEFAULT_COST_WARNING_USD = 1.00
DEFAULT_DISCOVERY_TTL_SECONDS = 600.0
# Models litellm has no tokenizer for (custom ones, debrief/offline) are counted with
# this one (o200k, today's OpenAI encoding) unless they name another.
FALLBACK_TOKENIZER = "gpt-4o"


@dataclass(frozen=True)
class RegistryConfig:
    env: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)  # holds secrets
    # Glob patterns matched against a model's name and its litellm name ("openai/*",
    # "gpt-5*", "anthropic/claude-*"); empty keeps every model. Custom models and
    # debrief/offline are always kept.
    allowlist: tuple[str, ...] = ()
    default_model: str | None = None
    provider_defaults: Mapping[str, str] = field(default_factory=lambda: DEFAULT_PROVIDER_DEFAULTS)
    models_file: str | Path | None = None
    base_urls: Mapping[str, str] = field(default_factory=dict)  # provider -> base URL, e.g. a gateway
    cost_warning_usd: float = DEFAULT_COST_WARNING_USD
    discovery_ttl_seconds: float = DEFAULT_DISCOVERY_TTL_SECONDS
    custom_tokenizer: str = FALLBACK_TOKENIZER
    # Ask endpoints which models they serve (cached for the discovery TTL) whenever
    # availability is judged; off, the environment alone decides (tests, bench, offline tools).
    live_discovery: bool = False

    def env_value(self, name: str) -> str | None:
        """A variable's value; blank counts as unset (an empty key authenticates nothing)."""
        value = self.env.get(name, "").strip()
        return value or None

    @property
    def effective_models_file(self) -> Path | None:
        path = self.env_value(MODELS_FILE_ENV) or self.models_file
        return Path(path) if path else None
