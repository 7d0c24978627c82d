"""What Debrief needs to know per provider that litellm's price map does not say:
which environment variables make it usable, where a gateway URL is configured, which
API it is called through, and how to list its models.

Credential variables follow litellm's own `validate_environment` (1.106.2), so a
model we call available is one litellm can authenticate."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from analysis.llm.modelinfo import KEYLESS_PLACEHOLDER, Api, ModelInfo

# "openai": GET {base}/models with a bearer key; "anthropic": GET {base}/v1/models with x-api-key;
# "gemini": GET {base}/v1beta/models with x-goog-api-key.
DiscoveryProtocol = Literal["openai", "anthropic", "gemini"]

_AWS_CREDENTIALS = (
    ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    ("AWS_PROFILE",),
    ("AWS_ROLE_ARN",),
    ("AWS_WEB_IDENTITY_TOKEN_FILE",),
    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",),
    ("AWS_CONTAINER_CREDENTIALS_FULL_URI",),
)


@dataclass(frozen=True)
class ProviderSpec:
    # Any one group whose variables are all set makes the provider usable; the first
    # group is the one named when none is.
    credentials: tuple[tuple[str, ...], ...]
    base_url_env: str
    api_key_env: str | None  # the variable whose value is sent as the API key, if the provider uses one
    api: Api = "chat"
    discovery: DiscoveryProtocol | None = None
    default_base_url: str | None = None  # where discovery looks when no base URL is configured

    @property
    def supports_native_compaction(self) -> bool:
        # Compaction is a Responses-API endpoint (/responses/compact).
        return self.api == "responses"


def env_prefix(provider: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", provider.upper())


def _keyed(
    provider: str,
    *alternatives: str,
    api: Api = "chat",
    discovery: DiscoveryProtocol | None = None,
    default_base_url: str | None = None,
) -> ProviderSpec:
    """The common case: one API key variable (litellm's `<PROVIDER>_API_KEY` unless named)."""
    key_vars = alternatives or (f"{env_prefix(provider)}_API_KEY",)
    return ProviderSpec(
        credentials=tuple((var,) for var in key_vars),
        base_url_env=f"{env_prefix(provider)}_BASE_URL",
        api_key_env=key_vars[0],
        api=api,
        discovery=discovery,
        default_base_url=default_base_url,
    )


PROVIDERS: dict[str, ProviderSpec] = {
    "openai": _keyed("openai", api="responses", discovery="openai", default_base_url="https://api.openai.com/v1"),
    "azure": ProviderSpec(
        credentials=(("AZURE_API_KEY", "AZURE_API_BASE", "AZURE_API_VERSION"),),
        base_url_env="AZURE_API_BASE",
        api_key_env="AZURE_API_KEY",
        api="responses",
    ),
    "anthropic": _keyed(
        "anthropic",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        discovery="anthropic",
        default_base_url="https://api.anthropic.com",
    ),
    "gemini": _keyed(
        "gemini",
        "GEMINI_API_KEY",
        "GOOGLE_API_KEY",
        discovery="gemini",
        default_base_url="https://generativelanguage.googleapis.com",
    ),
    "vertex_ai": ProviderSpec((("VERTEXAI_PROJECT", "VERTEXAI_LOCATION"),), "VERTEX_AI_BASE_URL", None),
    "bedrock": ProviderSpec(_AWS_CREDENTIALS, "BEDROCK_BASE_URL", None),
    "bedrock_mantle": ProviderSpec(_AWS_CREDENTIALS, "BEDROCK_MANTLE_BASE_URL", None),
    "sagemaker": ProviderSpec(_AWS_CREDENTIALS, "SAGEMAKER_BASE_URL", None),
    "ollama": ProviderSpec((("OLLAMA_API_BASE",),), "OLLAMA_API_BASE", None),
    "cloudflare": ProviderSpec(
        (("CLOUDFLARE_API_KEY", "CLOUDFLARE_ACCOUNT_ID"), ("CLOUDFLARE_API_KEY", "CLOUDFLARE_API_BASE")),
        "CLOUDFLARE_API_BASE",
        "CLOUDFLARE_API_KEY",
    ),
    "cohere_chat": _keyed("cohere_chat", "COHERE_API_KEY"),
    "together_ai": _keyed("together_ai", "TOGETHERAI_API_KEY"),
    "perplexity": _keyed("perplexity", "PERPLEXITYAI_API_KEY"),
    "fireworks_ai": _keyed(
        "fireworks_ai", "FIREWORKS_AI_API_KEY", "FIREWORKS_API_KEY", "FIREWORKSAI_API_KEY", "FIREWORKS_AI_TOKEN"
    ),
    "dashscope": _keyed("dashscope", "DASHSCOPE_API_KEY"),
    "qwencloud": _keyed("qwencloud", "QWENCLOUD_API_KEY", "DASHSCOPE_API_KEY"),
    "qwen_ai_platform": _keyed("qwen_ai_platform", "QWEN_AI_PLATFORM_API_KEY", "DASHSCOPE_API_KEY"),
    "deepseek": _keyed("deepseek", discovery="openai", default_base_url="https://api.deepseek.com"),
    "groq": _keyed("groq", discovery="openai", default_base_url="https://api.groq.com/openai/v1"),
    "mistral": _keyed("mistral", discovery="openai", default_base_url="https://api.mistral.ai/v1"),
    "xai": _keyed("xai", discovery="openai", default_base_url="https://api.x.ai/v1"),
}

# Providers whose models sit in litellm's price map but that Debrief does not offer:
# some sign in interactively (a device flow, not a server key), and litellm 1.106.2
# cannot route or price the others.
EXCLUDED_PROVIDERS = frozenset(
    {
        "github_copilot",
        "chatgpt",
        "microsoft_365_copilot",
        "ai21",
        "anyscale",
        "coralbricks",
        "inferenceapis",
        "openinfer",
        "scaledown",
    }
)


def provider_spec(provider: str) -> ProviderSpec:
    return PROVIDERS.get(provider) or _keyed(provider)




def api_key_for(model: ModelInfo, environ: Mapping[str, str] = os.environ) -> str | None:
    """The key a call to `model` is made with, from the provider's variable (or the
    custom model's own); None when it is not set."""
    if model.custom and not model.api_key_env:
        return KEYLESS_PLACEHOLDER
    name = model.api_key_env or provider_spec(model.provider).api_key_env
    return (environ.get(name) or None) if name else None
