from __future__ import annotations

import pytest

from analysis.registry import UnknownModel
from tests.registry.conftest import build


def test_an_unknown_name_suggests_the_closest_ones():
    with pytest.raises(UnknownModel) as raised:
        build().get("gpt-5-mnii")
    assert raised.value.suggestions[0] == "gpt-5-mini"
    assert "Did you mean gpt-5-mini" in str(raised.value)
    assert not raised.value.not_allowed


def test_a_bare_model_id_suggests_it_under_each_provider():
    with pytest.raises(UnknownModel) as raised:
        build().get("claude-sonnet-4-5")
    assert "anthropic/claude-sonnet-4-5" in raised.value.suggestions


def test_nothing_alike_means_no_suggestions():
    with pytest.raises(UnknownModel) as raised:
        build().get("zzzzzzzzzzzzzzzzzzzz")
    assert raised.value.suggestions == ()
    assert "Did you mean" not in str(raised.value)


def test_litellm_spellings_and_other_cases_find_the_model():
    registry = build()
    assert registry.get("openai/gpt-5-mini") is registry.get("gpt-5-mini")
    assert registry.get("GPT-5-Mini") is registry.get("gpt-5-mini")
