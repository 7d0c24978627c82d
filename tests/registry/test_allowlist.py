from __future__ import annotations

import pytest

from analysis.registry import OFFLINE_MODEL_NAME, UnknownModel
from tests.registry.conftest import build

CUSTOM_TOML = """
[[models]]
name = "local/llama"
base_url = "http://127.0.0.1:9/v1"
context_window = 8192
max_output_tokens = 1024
input_usd_per_mtok = 0
output_usd_per_mtok = 0
"""


def test_allowlist_globs_keep_only_matching_models():
    registry = build(allowlist=("gpt-5*", "anthropic/claude-sonnet-*"))
    names = {model.name for model in registry.all()} - {OFFLINE_MODEL_NAME}
    assert "gpt-5-mini" in names and "anthropic/claude-sonnet-4-5" in names
    assert all(name.startswith(("gpt-5", "anthropic/claude-sonnet-")) for name in names)


def test_allowlist_patterns_match_litellm_names_too():
    names = {model.name for model in build(allowlist=("openai/*",)).all()}
    assert "gpt-5-mini" in names and "gpt-4o" in names
    assert not any(name.startswith("anthropic/") for name in names)


def test_an_empty_allowlist_keeps_every_model():
    assert len(build().all()) > 2_000


def test_a_model_outside_the_allowlist_says_so():
    with pytest.raises(UnknownModel) as raised:
        build(allowlist=("gpt-5*",)).get("anthropic/claude-sonnet-4-5")
    assert raised.value.not_allowed
    assert "allowlist" in str(raised.value)


def test_custom_models_and_offline_ignore_the_allowlist(tmp_path):
    models_file = tmp_path / "models.toml"
    models_file.write_text(CUSTOM_TOML)
    registry = build(allowlist=("gpt-5-mini",), models_file=models_file)
    assert {model.name for model in registry.all()} == {"gpt-5-mini", "local/llama", OFFLINE_MODEL_NAME}
