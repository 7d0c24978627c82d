from __future__ import annotations

import json

from analysis.llm.pricing import estimate
from analysis.registry import estimate_to_dict, model_to_dict
from tests.registry.conftest import build

MODEL_KEYS = {
    "name",
    "provider",
    "available",
    "unavailable_reason",
    "context_window",
    "max_output_tokens",
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "cached_input_usd_per_mtok",
    "supports_reasoning",
    "supports_native_compaction",
    "is_default",
}
ESTIMATE_KEYS = {
    "model",
    "input_tokens",
    "output_tokens",
    "input_usd",
    "output_usd",
    "total_usd",
    "context_window",
    "fits_context",
    "compression",
    "recommendation",
}


def test_a_model_dict_has_the_public_keys_and_is_json():
    registry = build({"OPENAI_API_KEY": "k"})
    row = model_to_dict(registry.get("gpt-5-mini"), registry.availability("gpt-5-mini"), is_default=True)
    assert MODEL_KEYS <= row.keys()
    assert json.loads(json.dumps(row)) == row
    assert row | {} == {
        **row,
        "name": "gpt-5-mini",
        "provider": "openai",
        "available": True,
        "unavailable_reason": None,
        "input_usd_per_mtok": 0.25,
        "output_usd_per_mtok": 2.0,
        "cached_input_usd_per_mtok": 0.025,
        "supports_native_compaction": True,
        "is_default": True,
    }


def test_describe_says_why_a_model_is_unavailable():
    row = build().describe("anthropic/claude-sonnet-4-5")
    assert (row["available"], row["is_default"]) == (False, False)
    assert row["unavailable_reason"] == "ANTHROPIC_API_KEY is not set (or set ANTHROPIC_AUTH_TOKEN)"
    assert build().describe("debrief/offline")["is_default"]


def test_an_estimate_dict_has_the_public_keys_and_no_compression_yet():
    registry = build({"OPENAI_API_KEY": "k"})
    result = estimate(registry.get("gpt-5-mini"), 120_000, 4_000)
    data = estimate_to_dict(result, registry.recommend(result))
    assert ESTIMATE_KEYS <= data.keys()
    assert json.loads(json.dumps(data)) == data
    assert data["compression"] is None
    assert data["total_usd"] == result.input_usd + result.output_usd
    assert data["recommendation"]["default_model"] == "gpt-5-mini"
    assert data["recommendation"]["warnings"] == []


def test_compression_numbers_pass_through_when_given():
    result = estimate(build().get("gpt-5-mini"), 10)
    plan = {"strategy": "native", "compressed_input_tokens": 9}
    assert estimate_to_dict(result, compression=plan)["compression"] == plan
