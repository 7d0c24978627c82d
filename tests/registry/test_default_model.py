from __future__ import annotations

import pytest

from analysis.registry import DEFAULT_MODEL_ENV, OFFLINE_MODEL_NAME, ConfigError
from tests.registry.conftest import build


def test_the_env_var_default_beats_the_settings_default():
    registry = build({DEFAULT_MODEL_ENV: "gemini/gemini-2.5-pro"}, default_model="anthropic/claude-sonnet-4-5")
    assert registry.default_model.name == "gemini/gemini-2.5-pro"


def test_the_settings_default_applies_without_the_env_var():
    registry = build({DEFAULT_MODEL_ENV: "  "}, default_model="anthropic/claude-sonnet-4-5")
    assert registry.default_model.name == "anthropic/claude-sonnet-4-5"


def test_offline_is_the_default_when_no_provider_key_is_set():
    assert build().default_model.name == OFFLINE_MODEL_NAME


def test_the_first_configured_providers_default_is_used():
    assert build({"ANTHROPIC_API_KEY": "k"}).default_model.name == "anthropic/claude-sonnet-4-5"
    assert build({"ANTHROPIC_API_KEY": "k", "OPENAI_API_KEY": "k"}).default_model.name == "gpt-5-mini"


def test_per_provider_defaults_are_configurable():
    registry = build({"GEMINI_API_KEY": "k"}, provider_defaults={"gemini": "gemini/gemini-2.5-pro"})
    assert registry.default_model.name == "gemini/gemini-2.5-pro"
    assert registry.provider_default("gemini").name == "gemini/gemini-2.5-pro"
    assert registry.provider_default("openai") is None


def test_a_provider_default_outside_the_allowlist_is_skipped():
    registry = build({"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}, allowlist=("anthropic/*",))
    assert registry.default_model.name == "anthropic/claude-sonnet-4-5"


def test_an_unknown_default_is_a_config_error_that_suggests_names():
    with pytest.raises(ConfigError, match=rf"{DEFAULT_MODEL_ENV}.*gpt-5-mnii.*Did you mean gpt-5-mini"):
        build({DEFAULT_MODEL_ENV: "gpt-5-mnii"})


def test_a_default_outside_the_allowlist_is_a_config_error():
    with pytest.raises(ConfigError, match="allowlist"):
        build(default_model="anthropic/claude-sonnet-4-5", allowlist=("gpt-*",))


def test_a_misspelt_provider_default_is_a_config_error():
    with pytest.raises(ConfigError, match=r"provider_defaults\['openai'\]"):
        build(provider_defaults={"openai": "gtp-5-mini"})
