"""A self-hosted OpenAI-compatible server (vLLM, Ollama, LM Studio, a LiteLLM proxy)
lists models nothing prices: they are offered as custom models, price unknown; and
the default is chosen among what endpoints list."""

from __future__ import annotations

from analysis.llm.pricing import estimate
from analysis.registry import OFFLINE_MODEL_NAME, estimate_to_dict
from analysis.registry.listed_models import LISTED_CONTEXT_WINDOW
from tests.registry.conftest import build


def _gateway(models_server, *ids: str, **settings):
    models_server.model_ids = list(ids)
    env = {"OPENAI_API_KEY": "sk-local", "OPENAI_BASE_URL": models_server.base_url}
    return build(env, allowlist=("gpt-5-mini", "gpt-5-nano", "gpt-4o"), live_discovery=True, **settings)


def test_a_model_only_the_endpoint_lists_is_a_custom_model_with_an_unknown_price(models_server):
    registry = _gateway(models_server, "my-llama-3", "gpt-5-nano")
    model = registry.get("my-llama-3")
    assert (model.custom, model.price_known, model.provider) == (True, False, "openai")
    assert (model.litellm_model, model.api, model.api_base) == ("openai/my-llama-3", "chat", models_server.base_url)
    assert model.api_key_env == "OPENAI_API_KEY"  # the gateway's key is sent to it
    assert model.context_window == LISTED_CONTEXT_WINDOW
    row = registry.describe(model)
    assert row["available"] and row["listed_live"] and row["custom"]
    assert (row["price_known"], row["input_usd_per_mtok"], row["output_usd_per_mtok"]) == (False, None, None)
    assert [m.name for m in registry.all(available=True)] == [OFFLINE_MODEL_NAME, "gpt-5-nano", "my-llama-3"]


def test_an_estimate_for_an_unpriced_model_says_so_and_asks_for_a_price(models_server):
    registry = _gateway(models_server, "my-llama-3", "gpt-5-nano")
    priced = estimate(registry.get("my-llama-3"), 10_000, 1_000)
    shape = estimate_to_dict(priced, registry.recommend(priced))
    assert shape["price_known"] is False and shape["total_usd"] == 0
    assert shape["input_usd_per_mtok"] is None
    assert "no known price" in shape["price_note"] and "input_usd_per_mtok" in shape["price_note"]
    # an unpriced model's $0 never makes it the cheapest
    assert shape["recommendation"]["cheapest_fitting_model"] == "gpt-5-nano"
    assert any("no known price" in warning for warning in shape["recommendation"]["warnings"])
    known = estimate(registry.get("gpt-5-nano"), 10_000, 1_000)
    assert estimate_to_dict(known)["price_known"] is True and estimate_to_dict(known)["price_note"] is None


def test_models_from_the_providers_public_endpoint_are_not_turned_into_custom_ones(models_server):
    # api.openai.com lists embeddings and audio models too: only a base URL of one's own is read this way.
    registry = build({"OPENAI_API_KEY": "k"}, allowlist=("gpt-5-mini",), live_discovery=True)
    assert registry._own_openai_endpoints() == {}


def test_without_live_discovery_no_endpoint_is_asked_for_unknown_names(models_server):
    models_server.model_ids = ["my-llama-3"]
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini",))
    assert [m.name for m in registry.all()] == [OFFLINE_MODEL_NAME, "gpt-5-mini"]
    assert models_server.requests == []


def test_a_models_file_endpoint_lists_extra_models_under_its_provider(tmp_path, models_server):
    models_server.model_ids = ["local-llama", "qwen2.5-coder"]
    path = tmp_path / "models.toml"
    path.write_text(
        '[[models]]\nname = "local/local-llama"\nmodel = "local-llama"\nprovider = "vllm"\n'
        f'base_url = "{models_server.base_url}"\ncontext_window = 8192\nmax_output_tokens = 1024\n'
        "input_usd_per_mtok = 0.1\noutput_usd_per_mtok = 0.2\n"
    )
    registry = build(models_file=path, live_discovery=True)
    listed = registry.get("qwen2.5-coder")
    assert (listed.provider, listed.price_known, listed.api_key_env) == ("vllm", False, None)
    assert [m.name for m in registry.all(provider="vllm")] == ["local/local-llama", "qwen2.5-coder"]


def test_a_listed_id_that_is_another_models_name_gets_the_provider_prefix(models_server):
    registry = _gateway(models_server, "debrief/offline")
    assert registry.get("openai/debrief/offline").custom
    assert registry.get("debrief/offline").provider == "debrief"


def test_the_default_is_the_provider_default_when_the_endpoint_lists_it(models_server):
    assert _gateway(models_server, "gpt-5-mini", "gpt-5-nano").default_model.name == "gpt-5-mini"


def test_the_default_is_the_cheapest_listed_model_when_the_provider_default_is_not_listed(models_server):
    registry = _gateway(models_server, "gpt-4o", "gpt-5-nano", "my-llama-3")
    assert registry.default_model.name == "gpt-5-nano"
    assert registry.default_note is None


def test_the_default_is_a_listed_unpriced_model_when_the_endpoint_serves_only_those(models_server):
    assert _gateway(models_server, "my-llama-3").default_model.name == "my-llama-3"


def test_when_the_endpoint_lists_nothing_usable_the_default_is_offline_and_says_why(models_server):
    registry = _gateway(models_server)
    assert registry.default_model.name == OFFLINE_MODEL_NAME
    assert registry.default_note == (
        f"the default is {OFFLINE_MODEL_NAME}: {models_server.base_url}/models lists neither gpt-5-mini "
        "nor another model Debrief can use"
    )


def test_the_default_follows_a_refreshed_listing(models_server):
    registry = _gateway(models_server)
    assert registry.default_model.name == OFFLINE_MODEL_NAME
    models_server.model_ids = ["gpt-5-mini"]
    registry.refresh_listings()
    assert registry.default_model.name == "gpt-5-mini" and registry.default_note is None


def test_an_unreachable_endpoint_keeps_the_environments_default(models_server):
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url + "/broken"}
    registry = build(env, allowlist=("gpt-5-mini",), live_discovery=True)
    assert registry.default_model.name == "gpt-5-mini"  # not confirmed, but the environment's answer stands


def test_a_named_default_that_only_the_endpoint_lists_is_found_there(models_server):
    registry = _gateway(models_server, "my-llama-3", default_model="my-llama-3")
    assert registry.default_model.name == "my-llama-3"
    assert models_server.requests  # found by reading the list, after the build
