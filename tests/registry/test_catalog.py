"""The litellm part of the registry: read offline from the pinned price map."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.llm.litellm_env import bundled_price_map, get_litellm
from analysis.registry import Registry, RegistryConfig, UnknownModel
from analysis.registry.litellm_catalog import CHAT_MODES, litellm_catalog
from tests.registry.conftest import build

REPO = Path(__file__).resolve().parents[2]


def test_the_bundled_price_map_is_what_litellm_loads():
    def chat(prices):
        return {key: entry for key, entry in prices.items() if isinstance(entry, dict) and entry.get("mode") in CHAT_MODES}

    assert chat(bundled_price_map()) == chat(get_litellm().model_cost)


def test_only_chat_and_responses_models_are_offered():
    registry = build()
    assert registry.get("gpt-5-mini").name == "gpt-5-mini"
    assert registry.get("gpt-5.1-codex").api == "responses"  # a responses-only model
    for not_chat in ("text-embedding-3-small", "dall-e-3", "whisper-1"):
        with pytest.raises(UnknownModel):
            registry.get(not_chat)


def test_openai_models_use_the_responses_api_and_compact_natively():
    model = build().get("gpt-5-mini")
    assert (model.provider, model.litellm_model, model.api) == ("openai", "openai/gpt-5-mini", "responses")
    assert model.supports_native_compaction
    assert model.supports_reasoning
    assert model.api_key_env == "OPENAI_API_KEY"


def test_other_providers_use_chat_completions_without_native_compaction():
    for name in ("anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-pro", "vertex_ai/gemini-2.5-pro"):
        model = build().get(name)
        assert model.api == "chat"
        assert not model.supports_native_compaction


def test_models_carry_window_output_and_prices_from_litellm():
    entry = bundled_price_map()["claude-sonnet-4-5"]
    model = build().get("anthropic/claude-sonnet-4-5")
    assert model.context_window == entry["max_input_tokens"]
    assert model.max_output_tokens == entry["max_output_tokens"]
    assert model.input_usd_per_token == entry["input_cost_per_token"]
    assert model.output_usd_per_token == entry["output_cost_per_token"]
    assert model.cached_input_usd_per_token == entry["cache_read_input_token_cost"]


def test_interactive_sign_in_providers_are_not_offered():
    assert not [model.name for model in litellm_catalog() if model.provider in ("github_copilot", "chatgpt")]


def test_building_is_cached_per_config():
    first = Registry.build(RegistryConfig(env={"OPENAI_API_KEY": "sk-test"}, allowlist=("gpt-5*",)))
    second = Registry.build(RegistryConfig(env={"OPENAI_API_KEY": "sk-test"}, allowlist=("gpt-5*",)))
    assert second is first
    assert Registry.build(RegistryConfig(env={}, allowlist=("gpt-5*",))) is not first


def test_listing_and_estimating_never_import_litellm():
    """The web process pays litellm's ~3 s import only when it counts tokens."""
    script = (
        "import sys\n"
        "from analysis.registry import Registry, RegistryConfig, estimate_to_dict\n"
        "from analysis.llm.pricing import estimate\n"
        "registry = Registry.build(RegistryConfig(env={'OPENAI_API_KEY': 'x'}))\n"
        "result = estimate(registry.get('gpt-5-mini'), 100_000)\n"
        "estimate_to_dict(result, registry.recommend(result))\n"
        "[registry.describe(model) for model in registry.all()]\n"
        "assert 'litellm' not in sys.modules, 'litellm was imported'\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=REPO, check=True, timeout=60)


def test_azure_is_planned_as_summarise_because_only_openai_is_compacted():
    registry = build({"AZURE_API_KEY": "k", "AZURE_API_BASE": "https://x.openai.azure.com", "AZURE_API_VERSION": "v"})
    azure, openai = registry.get("azure/gpt-5-mini"), registry.get("gpt-5-mini")

    assert azure.api == "responses" and not azure.supports_native_compaction
    assert openai.supports_native_compaction
