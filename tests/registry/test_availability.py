from __future__ import annotations

import pytest

from analysis.llm.pricing import estimate
from analysis.registry import OFFLINE_MODEL_NAME, ModelUnavailable
from tests.registry.conftest import build


def test_it_names_the_missing_variable():
    availability = build().availability("gpt-5-mini")
    assert not availability.available
    assert availability.reason == "OPENAI_API_KEY is not set"


def test_a_set_key_makes_the_providers_models_available():
    registry = build({"OPENAI_API_KEY": "sk-test"})
    assert registry.availability("gpt-5-mini").available
    assert registry.availability("gpt-5-mini").reason is None
    assert not registry.availability("anthropic/claude-sonnet-4-5").available


def test_a_blank_variable_counts_as_unset():
    assert build({"OPENAI_API_KEY": "   "}).availability("gpt-5-mini").reason == "OPENAI_API_KEY is not set"


def test_alternative_variables_are_named_and_accepted():
    assert build().availability("gemini/gemini-2.5-pro").reason == "GEMINI_API_KEY is not set (or set GOOGLE_API_KEY)"
    assert build({"GOOGLE_API_KEY": "k"}).availability("gemini/gemini-2.5-pro").available


def test_every_variable_a_provider_needs_is_named():
    availability = build({"AZURE_API_KEY": "k"}).availability("azure/gpt-5-mini")
    assert availability.reason == "AZURE_API_BASE and AZURE_API_VERSION are not set"


def test_the_offline_model_is_always_available_and_free():
    registry = build()
    offline = registry.get(OFFLINE_MODEL_NAME)
    assert registry.availability(offline).available
    assert (offline.provider, offline.api) == ("debrief", "offline")
    assert offline.context_window >= 1_000_000_000
    assert estimate(offline, 5_000_000).total_usd == 0
    assert estimate(offline, 5_000_000).fits_context


def test_requiring_an_unavailable_model_says_why():
    with pytest.raises(ModelUnavailable) as raised:
        build().require_available("anthropic/claude-sonnet-4-5")
    assert raised.value.reason == "ANTHROPIC_API_KEY is not set (or set ANTHROPIC_AUTH_TOKEN)"
    assert "ANTHROPIC_API_KEY is not set" in str(raised.value)


def test_requiring_no_model_in_particular_gives_the_default():
    assert build({"OPENAI_API_KEY": "k"}).require_available().name == "gpt-5-mini"


def test_models_can_be_listed_by_provider_and_availability():
    registry = build({"ANTHROPIC_API_KEY": "k"})
    available = registry.all(available=True)
    assert {model.provider for model in available} == {"anthropic", "debrief"}
    assert all(model.provider == "gemini" for model in registry.all(provider="gemini"))
    assert not registry.all(provider="gemini", available=True)
