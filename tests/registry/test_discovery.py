"""Live discovery against a local stdlib server: no network, no spending."""

from __future__ import annotations

import socket

import pytest

from analysis.registry import DiscoveryError, ModelUnavailable, Registry, RegistryConfig
from tests.registry.conftest import build


def _custom_file(tmp_path, base_url: str, api_key_env: str | None = None, model: str = "local-llama"):
    key_line = f'api_key_env = "{api_key_env}"\n' if api_key_env else ""
    path = tmp_path / "models.toml"
    path.write_text(
        "[[models]]\n"
        f'name = "local/{model}"\nmodel = "{model}"\nprovider = "vllm"\nbase_url = "{base_url}"\n{key_line}'
        "context_window = 8192\nmax_output_tokens = 1024\ninput_usd_per_mtok = 0\noutput_usd_per_mtok = 0\n"
    )
    return path


def test_a_listed_model_is_confirmed_live(tmp_path, models_server):
    registry = build(models_file=_custom_file(tmp_path, models_server.base_url))
    availability = registry.availability("local/local-llama", live=True)
    assert availability.available and availability.listed_live
    assert models_server.requests[0][0] == "/v1/models"


def test_an_unlisted_model_is_unavailable_and_says_so(tmp_path, models_server):
    registry = build(models_file=_custom_file(tmp_path, models_server.base_url, model="not-served"))
    availability = registry.availability("local/not-served", live=True)
    assert not availability.available
    assert availability.reason == f"not offered by this endpoint ({models_server.base_url}/models does not list not-served)"


def test_listings_are_cached_so_a_second_check_makes_no_request(tmp_path, models_server):
    registry = build(models_file=_custom_file(tmp_path, models_server.base_url))
    assert registry.discover("vllm") == {"local-llama", "gpt-5-mini"}
    assert registry.availability("local/local-llama", live=True).listed_live
    assert registry.discover("vllm") == {"local-llama", "gpt-5-mini"}
    assert len(models_server.requests) == 1


def test_listings_are_fetched_again_after_the_ttl(tmp_path, models_server):
    now = [0.0]
    models_file = _custom_file(tmp_path, models_server.base_url)
    config = RegistryConfig(env={}, models_file=models_file, discovery_ttl_seconds=60)
    registry = Registry.build(config, clock=lambda: now[0])
    registry.discover("vllm")
    now[0] = 59.0
    registry.discover("vllm")
    assert len(models_server.requests) == 1
    models_server.model_ids = ["newcomer"]
    now[0] = 61.0
    assert registry.discover("vllm") == {"newcomer"}
    assert len(models_server.requests) == 2


def test_offline_checks_never_call_the_endpoint(tmp_path, models_server):
    registry = build(models_file=_custom_file(tmp_path, models_server.base_url))
    assert registry.availability("local/local-llama").available
    assert not registry.availability("local/local-llama").listed_live
    assert models_server.requests == []


def test_the_openai_base_url_points_discovery_at_a_gateway(models_server):
    env = {"OPENAI_API_KEY": "sk-gateway", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini", "gpt-4o"))
    assert registry.get("gpt-5-mini").api_base == models_server.base_url
    assert registry.availability("gpt-5-mini", live=True).listed_live
    unlisted = registry.availability("gpt-4o", live=True)
    assert unlisted.reason == f"not offered by this endpoint ({models_server.base_url}/models does not list gpt-4o)"
    path, headers = models_server.requests[0]
    assert (path, headers["authorization"]) == ("/v1/models", "Bearer sk-gateway")
    assert len(models_server.requests) == 1  # one listing served both checks


def test_base_urls_from_settings_apply_when_the_env_var_is_unset(models_server):
    settings_url = models_server.base_url
    registry = build({"OPENAI_API_KEY": "k"}, base_urls={"openai": settings_url}, allowlist=("gpt-5-mini",))
    assert registry.get("gpt-5-mini").api_base == settings_url
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
    overridden = build(env, base_urls={"openai": settings_url})
    assert overridden.get("gpt-5-mini").api_base == "http://127.0.0.1:1/v1"


def test_anthropic_listings_use_anthropics_headers(models_server):
    models_server.model_ids = ["claude-sonnet-4-5"]
    base = models_server.base_url.removesuffix("/v1")
    env = {"ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": base}
    registry = build(env, allowlist=("anthropic/claude-sonnet-4-5",))
    assert registry.availability("anthropic/claude-sonnet-4-5", live=True).listed_live
    path, headers = models_server.requests[0]
    assert path.startswith("/v1/models")
    assert (headers["x-api-key"], headers["anthropic-version"]) == ("ak-test", "2023-06-01")


def _unused_port() -> int:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_endpoint_leaves_the_environments_answer_marked_not_confirmed(tmp_path):
    port = _unused_port()
    registry = build(models_file=_custom_file(tmp_path, f"http://127.0.0.1:{port}/v1"))
    availability = registry.availability("local/local-llama", live=True)
    assert availability.available and not availability.listed_live
    assert availability.note.startswith(f"not confirmed: could not reach http://127.0.0.1:{port}/v1/models")
    assert registry.describe("local/local-llama", live=True)["availability_note"] == availability.note


def test_a_failed_listing_is_not_asked_again_for_every_model(models_server):
    models_server.model_ids = []
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url + "/broken"}
    registry = build(env, allowlist=("gpt-5*", "gpt-4o*"))
    rows = [registry.availability(model, live=True) for model in registry.all(provider="openai")]
    assert len(rows) > 5 and all(row.available and row.note for row in rows)
    assert len(models_server.requests) == 1


def test_a_remembered_failure_is_raised_afresh_so_no_request_is_kept_alive(models_server):
    # Raising one stored exception again and again grew its traceback by every
    # caller's frames (a preview's request and rows) for as long as the failure was held.
    from analysis.registry.discovery import ModelDiscovery

    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url + "/broken"}
    registry = build(env, allowlist=("gpt-5-mini",))
    discovery: ModelDiscovery = registry._discovery
    endpoint = registry._endpoint(registry.get("gpt-5-mini"))
    raised = []
    for _ in range(3):
        with pytest.raises(DiscoveryError) as caught:
            discovery.list_models(endpoint)
        raised.append(caught.value)
    assert len(models_server.requests) == 1
    assert len({id(error) for error in raised}) == 3
    depth = [len(list(_frames(error.__traceback__))) for error in raised[1:]]
    assert depth[0] == depth[1]


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame
        tb = tb.tb_next


def test_refreshing_asks_every_configured_endpoint_again(models_server):
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini", "gpt-4o"))
    assert not registry.availability("gpt-4o", live=True).available
    models_server.model_ids = ["gpt-4o"]
    assert not registry.availability("gpt-4o", live=True).available  # still the cached listing
    assert registry.refresh_listings() == {f"{models_server.base_url}/models": None}
    assert registry.availability("gpt-4o", live=True).listed_live
    assert len(models_server.requests) == 2


def test_live_discovery_in_the_config_makes_every_availability_check_live(models_server):
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini", "gpt-4o"), live_discovery=True)
    # local-llama is listed too: no known model has that id, so it is offered as a custom model
    assert [model.name for model in registry.all(available=True)] == ["debrief/offline", "gpt-5-mini", "local-llama"]
    with pytest.raises(ModelUnavailable, match="not offered by this endpoint"):
        registry.require_available("gpt-4o")


def test_listings_are_shared_through_the_listing_cache(models_server):
    shared = DictListingCache()
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    first = Registry.build(RegistryConfig(env=env, allowlist=("gpt-5-mini",)), clock=lambda: 1.0, listing_cache=shared)
    second = Registry.build(RegistryConfig(env=env, allowlist=("gpt-5-mini",)), clock=lambda: 2.0, listing_cache=shared)
    assert first.availability("gpt-5-mini", live=True).listed_live
    assert second.availability("gpt-5-mini", live=True).listed_live
    assert len(models_server.requests) == 1
    assert "k" not in next(iter(shared.values))  # the key is hashed, never stored


class DictListingCache:
    def __init__(self):
        self.values = {}

    def get(self, key):
        return self.values.get(key)

    def set(self, key, value, timeout):
        self.values[key] = value


def test_discovery_without_credentials_names_the_missing_variable():
    with pytest.raises(DiscoveryError, match="OPENAI_API_KEY is not set"):
        build(allowlist=("gpt-5-mini",)).discover("openai")


def test_a_provider_without_a_model_list_says_so():
    with pytest.raises(DiscoveryError, match="no model list"):
        build({"VERTEXAI_PROJECT": "p", "VERTEXAI_LOCATION": "l"}).discover("vertex_ai")


def test_anthropic_aliases_match_the_dated_ids_it_lists(models_server):
    models_server.model_ids = ["claude-sonnet-4-5-20250929"]
    env = {"ANTHROPIC_API_KEY": "ak", "ANTHROPIC_BASE_URL": models_server.base_url.removesuffix("/v1")}
    registry = build(env, allowlist=("anthropic/claude-sonnet-4-5", "anthropic/claude-opus-4-5"))
    assert registry.availability("anthropic/claude-sonnet-4-5", live=True).listed_live
    assert not registry.availability("anthropic/claude-opus-4-5", live=True).available


def test_gemini_listings_use_googles_path_header_and_names(models_server):
    models_server.gemini = True
    models_server.model_ids = ["gemini-2.5-flash"]
    env = {"GEMINI_API_KEY": "gk", "GEMINI_BASE_URL": models_server.base_url.removesuffix("/v1")}
    registry = build(env, allowlist=("gemini/gemini-2.5-flash", "gemini/gemini-2.5-pro"))
    assert registry.availability("gemini/gemini-2.5-flash", live=True).listed_live
    assert not registry.availability("gemini/gemini-2.5-pro", live=True).available
    path, headers = models_server.requests[0]
    assert path.startswith("/v1beta/models") and headers["x-goog-api-key"] == "gk"


def test_an_endpoint_error_is_reported(tmp_path, models_server):
    registry = build(models_file=_custom_file(tmp_path, models_server.base_url + "/nowhere"))
    with pytest.raises(DiscoveryError, match="answered HTTP 404"):
        registry.discover("vllm")


def test_the_available_models_are_worked_out_once_until_a_listing_is_due_again(models_server):
    """Every cost preview ranks the available models: they are remembered, not asked
    of each of ~2,700 models per request, but never past a listing's TTL."""
    now = [0.0]
    models_server.model_ids = ["gpt-5-mini"]
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    config = RegistryConfig(env=env, allowlist=("gpt-5-mini", "gpt-4o"), discovery_ttl_seconds=60, live_discovery=True)
    registry = Registry.build(config, clock=lambda: now[0])
    assert [model.name for model in registry.all(available=True) if model.provider == "openai"] == ["gpt-5-mini"]
    models_server.model_ids = ["gpt-4o"]
    now[0] = 59.0
    assert [model.name for model in registry.all(available=True) if model.provider == "openai"] == ["gpt-5-mini"]  # the listing is still fresh
    assert len(models_server.requests) == 1
    now[0] = 61.0
    assert [model.name for model in registry.all(available=True) if model.provider == "openai"] == ["gpt-4o"]
    assert [model.name for model in registry.all(available=False) if model.provider == "openai"] == ["gpt-5-mini"]
    assert len(models_server.requests) == 2


def test_a_refreshed_listing_changes_the_available_models_at_once(models_server):
    models_server.model_ids = ["gpt-5-mini"]
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini", "gpt-4o"), live_discovery=True)
    assert [model.name for model in registry.all(available=True) if model.provider == "openai"] == ["gpt-5-mini"]
    models_server.model_ids = ["gpt-4o"]
    registry.refresh_listings()
    assert [model.name for model in registry.all(available=True) if model.provider == "openai"] == ["gpt-4o"]


def test_a_remembered_recommendation_follows_a_changed_listing(models_server):
    from analysis.llm.pricing import estimate

    models_server.model_ids = ["gpt-5"]
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": models_server.base_url}
    registry = build(env, allowlist=("gpt-5-mini", "gpt-5"), live_discovery=True)
    chosen = estimate(registry.get("gpt-5"), 50_000)
    assert registry.recommend(chosen).cheapest_fitting_model == "gpt-5"
    assert registry.recommend(chosen) is registry.recommend(chosen)  # remembered
    models_server.model_ids = ["gpt-5", "gpt-5-mini"]
    registry.refresh_listings()
    assert registry.recommend(chosen).cheapest_fitting_model == "gpt-5-mini"
