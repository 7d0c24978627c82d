"""debrief/offline: the deterministic analyzer that needs no LLM, no key and no money.
It is the default when no provider is configured, so Debrief works out of the box."""

from __future__ import annotations

from analysis.llm.modelinfo import ModelInfo
from analysis.registry.availability import OFFLINE_PROVIDER
from analysis.registry.config import FALLBACK_TOKENIZER

OFFLINE_MODEL_NAME = "debrief/offline"
# It reads the digest in code, so no run is too large for it.
OFFLINE_CONTEXT_WINDOW = 1_000_000_000
OFFLINE_MAX_OUTPUT_TOKENS = 32_768

OFFLINE_MODEL = ModelInfo(
    name=OFFLINE_MODEL_NAME,
    provider=OFFLINE_PROVIDER,
    litellm_model=OFFLINE_MODEL_NAME,
    api="offline",
    context_window=OFFLINE_CONTEXT_WINDOW,
    max_output_tokens=OFFLINE_MAX_OUTPUT_TOKENS,
    input_usd_per_token=0.0,
    output_usd_per_token=0.0,
    cached_input_usd_per_token=0.0,
    supports_reasoning=False,
    supports_native_compaction=False,
    tokenizer_model=FALLBACK_TOKENIZER,
)
