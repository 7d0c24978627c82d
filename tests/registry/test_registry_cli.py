from __future__ import annotations

from analysis.llm.pricing import estimate
from analysis.registry import estimate_to_dict
from analysis.registry.cli import render_estimate, render_models_table
from tests.registry.conftest import build


def test_the_models_table_marks_the_default_and_says_why_models_are_unavailable():
    registry = build({"OPENAI_API_KEY": "k"}, allowlist=("gpt-5-mini", "anthropic/claude-sonnet-4-5"))
    table = render_models_table([registry.describe(model) for model in registry.all()])
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["MODEL", "PROVIDER", "CONTEXT"]
    (default_line,) = [line for line in lines if line.startswith("*")]
    assert default_line.split()[1:3] == ["gpt-5-mini", "openai"]
    assert "272,000" in default_line and "reasoning,compaction" in default_line and default_line.endswith("available")
    (claude_line,) = [line for line in lines if "claude" in line]
    assert claude_line.endswith("unavailable: ANTHROPIC_API_KEY is not set (or set ANTHROPIC_AUTH_TOKEN)")


def test_an_empty_table_says_so():
    assert render_models_table([]) == "No models."


def test_an_estimate_reads_as_cost_fit_and_advice():
    registry = build(
        {"ANTHROPIC_API_KEY": "k", "GEMINI_API_KEY": "k"},
        allowlist=("anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-flash"),
    )
    result = estimate(registry.get("anthropic/claude-sonnet-4-5"), 400_000)
    text = render_estimate(estimate_to_dict(result, registry.recommend(result)))
    assert text.splitlines()[0].startswith("anthropic/claude-sonnet-4-5: 400,000 input + 64,000 output tokens -> $")
    assert "Context: does NOT fit uncompressed in 200,000 tokens" in text
    assert "cheapest that holds it uncompressed: gemini/gemini-2.5-flash" in text
    assert "Warning: anthropic/claude-sonnet-4-5 cannot hold this run uncompressed" in text


def test_sub_cent_costs_are_not_shown_as_zero():
    text = render_estimate(estimate_to_dict(estimate(build().get("gpt-5-nano"), 1_000, 100)))
    assert "$0.0001" in text
