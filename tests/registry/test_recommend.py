from __future__ import annotations

from analysis.llm.pricing import estimate
from analysis.registry import OFFLINE_MODEL_NAME
from tests.registry.conftest import build

KEYS = {"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k", "GEMINI_API_KEY": "k"}
SHORTLIST = ("gpt-5-mini", "gpt-5", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-pro", "gemini/gemini-2.5-flash")


def _advice(name: str, input_tokens: int, env=KEYS, **settings):
    registry = build(env, allowlist=SHORTLIST, **settings)
    chosen = estimate(registry.get(name), input_tokens)
    return chosen, registry.recommend(chosen)


def test_it_marks_the_default_and_the_cheapest_model_that_fits():
    _, advice = _advice("anthropic/claude-sonnet-4-5", 50_000, cost_warning_usd=100)
    assert advice.default_model == "gpt-5-mini"
    assert advice.cheapest_fitting_model == "gpt-5-mini"
    assert advice.warnings == () and not advice.needs_compression


def test_a_run_too_big_for_the_chosen_window_warns_and_names_a_model_that_holds_it():
    chosen, advice = _advice("anthropic/claude-sonnet-4-5", 400_000, cost_warning_usd=100)
    assert not chosen.fits_context and advice.needs_compression
    assert advice.cheapest_fitting_model == "gemini/gemini-2.5-flash"  # 1M window, cheapest of those
    (warning,) = advice.warnings
    assert "will be compressed" in warning and "gemini/gemini-2.5-flash" in warning


def test_a_costly_run_warns_above_the_threshold():
    chosen, advice = _advice("gemini/gemini-2.5-pro", 500_000, cost_warning_usd=0.50)
    assert chosen.total_usd > 0.50
    assert advice.exceeds_cost_threshold
    assert any("exceeds the $0.50 warning threshold" in warning for warning in advice.warnings)


def test_only_available_models_are_recommended():
    _, advice = _advice("gpt-5-mini", 400_000, env={"OPENAI_API_KEY": "k"}, cost_warning_usd=100)
    assert advice.cheapest_fitting_model is None  # the 1M-token Gemini models have no key here


def test_the_offline_analyzer_is_never_the_cheapest_model():
    _, advice = _advice(OFFLINE_MODEL_NAME, 10_000, env={})
    assert advice.default_model == OFFLINE_MODEL_NAME
    assert advice.cheapest_fitting_model is None
    assert advice.warnings == ()
