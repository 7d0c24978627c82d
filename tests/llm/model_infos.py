"""ModelInfos pointing at the fake server, one per situation the LLM layer handles."""

from __future__ import annotations

from dataclasses import replace

from analysis.llm.modelinfo import ModelInfo

TINY_CONTEXT_WINDOW = 6_000
TINY_MAX_OUTPUT = 1_000


def openai_model(fake, **changes) -> ModelInfo:
    """An OpenAI model without native compaction, called through the Responses API."""
    model = ModelInfo(
        name="gpt-5-mini",
        provider="openai",
        litellm_model="openai/gpt-5-mini",
        api="responses",
        context_window=400_000,
        max_output_tokens=128_000,
        input_usd_per_token=0.25e-6,
        output_usd_per_token=2e-6,
        cached_input_usd_per_token=0.025e-6,
        supports_reasoning=True,
        supports_native_compaction=False,
        api_base=fake.base_url,
        api_key_env="OPENAI_API_KEY",
    )
    return replace(model, **changes)


def custom_chat_model(fake, **changes) -> ModelInfo:
    """A self-hosted OpenAI-compatible model, called through chat completions."""
    model = ModelInfo(
        name="local-llama",
        provider="custom",
        litellm_model="openai/local-llama",
        api="chat",
        context_window=32_000,
        max_output_tokens=4_000,
        input_usd_per_token=0.1e-6,
        output_usd_per_token=0.3e-6,
        cached_input_usd_per_token=None,
        supports_reasoning=False,
        supports_native_compaction=False,
        api_base=fake.base_url,
        custom=True,
    )
    return replace(model, **changes)


def tiny_model(fake, *, native: bool, api: str = "responses", name: str = "tiny-model") -> ModelInfo:
    """A custom model with a small context window (which the fake enforces), so that
    a modest run does not fit."""
    fake.set_context_window(name, TINY_CONTEXT_WINDOW)
    return ModelInfo(
        name=name,
        provider="custom",
        litellm_model=f"openai/{name}",
        api=api,
        context_window=TINY_CONTEXT_WINDOW,
        max_output_tokens=TINY_MAX_OUTPUT,
        input_usd_per_token=1e-6,
        output_usd_per_token=4e-6,
        cached_input_usd_per_token=0.5e-6,
        supports_reasoning=False,
        supports_native_compaction=native,
        api_base=fake.base_url,
        custom=True,
    )
