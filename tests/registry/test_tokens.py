from __future__ import annotations

import pytest

import analysis.llm.token_counter as tokens_module
from analysis.llm.litellm_env import get_litellm
from analysis.registry import OFFLINE_MODEL_NAME
from analysis.llm.token_counter import MemoryTokenCache, TokenCounter
from tests.registry.conftest import build

TEXT = "Agent A proposed a plan; agent B voted for it. " * 200
MESSAGES = [{"role": "system", "content": "You review MassGen runs."}, {"role": "user", "content": TEXT}]


class _CountingLitellm:
    """Real litellm counts, with the calls tallied."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def token_counter(self, *, model: str, **kwargs):
        self.calls.append(model)
        return get_litellm().token_counter(model=model, **kwargs)


@pytest.fixture
def litellm_calls(monkeypatch) -> _CountingLitellm:
    spy = _CountingLitellm()
    monkeypatch.setattr(tokens_module, "get_litellm", lambda: spy)
    return spy


@pytest.mark.parametrize("name", ["gpt-5-mini", "gpt-4o", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-pro"])
def test_counts_are_litellms_with_the_models_tokenizer(name):
    model = build().get(name)
    tokenizer = model.tokenizer_model or model.litellm_model
    counter = TokenCounter()
    assert counter.count_text(model, TEXT) == get_litellm().token_counter(model=tokenizer, text=TEXT)
    assert counter.count_messages(model, MESSAGES) == get_litellm().token_counter(model=tokenizer, messages=MESSAGES)


def test_openai_models_are_counted_with_their_own_encoding():
    # o200k for gpt-5 models; litellm would fall back to cl100k for "openai/gpt-5-mini".
    assert build().get("gpt-5-mini").tokenizer_model == "gpt-5-mini"


def test_a_second_count_of_the_same_content_is_served_from_the_cache(litellm_calls):
    model = build().get("gpt-5-mini")
    counter = TokenCounter()
    first = counter.count_text(model, TEXT)
    assert counter.count_text(model, TEXT) == first
    assert counter.count_messages(model, MESSAGES) == counter.count_messages(model, MESSAGES)
    assert len(litellm_calls.calls) == 2  # one text, one message list


def test_another_tokenizer_is_another_cache_entry(litellm_calls):
    counter = TokenCounter()
    counter.count_text(build().get("gpt-5-mini"), TEXT)
    counter.count_text(build().get("gpt-5-nano"), TEXT)
    counter.count_text(build().get("anthropic/claude-sonnet-4-5"), TEXT)
    assert litellm_calls.calls == ["gpt-5-mini", "gpt-5-nano", "anthropic/claude-sonnet-4-5"]


def test_custom_and_offline_models_fall_back_to_the_configured_tokenizer(tmp_path, litellm_calls):
    path = tmp_path / "m.toml"
    path.write_text(
        '[[models]]\nname = "local/x"\nbase_url = "http://127.0.0.1:8000/v1"\ncontext_window = 8192\n'
        "max_output_tokens = 1024\ninput_usd_per_mtok = 0\noutput_usd_per_mtok = 0\n"
    )
    registry = build(models_file=path, custom_tokenizer="gpt-4.1")
    counter = TokenCounter()
    counter.count_text(registry.get("local/x"), "hello")
    counter.count_text(registry.get(OFFLINE_MODEL_NAME), "hello")
    assert litellm_calls.calls == ["gpt-4.1", "gpt-4o"]


def test_any_cache_with_get_and_set_plugs_in(litellm_calls):
    class DictCache(dict):
        def set(self, key, value):
            self[key] = value

    shared = DictCache()
    model = build().get("gpt-5-mini")
    TokenCounter(shared).count_text(model, TEXT)
    TokenCounter(shared).count_text(model, TEXT)  # another process, same shared cache
    assert len(litellm_calls.calls) == 1
    (key,) = shared
    assert key.startswith("debrief:tokens:") and " " not in key and len(key) <= 250


def test_empty_content_is_zero_tokens_without_counting(litellm_calls):
    model = build().get("gpt-5-mini")
    assert TokenCounter().count_text(model, "") == 0
    assert TokenCounter().count_messages(model, []) == 0
    assert litellm_calls.calls == []


def test_the_memory_cache_forgets_the_least_recently_used():
    cache = MemoryTokenCache(max_entries=2)
    cache.set("a", 1)
    cache.set("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent
    cache.set("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
