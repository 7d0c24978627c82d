"""GET /api/v1/models and POST /api/v1/runs/{id}/estimate: shapes, scopes, errors."""

from __future__ import annotations

import pytest

from webapp.api.schema import build_schema
from webapp.api.tokens import do_create_token
from webapp.runs.models import RunStatus

MODELS = "/api/v1/models"
MODEL_KEYS = {
    "name", "provider", "available", "unavailable_reason", "context_window", "max_output_tokens",
    "input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok", "supports_reasoning",
    "supports_native_compaction", "is_default",
}
ESTIMATE_KEYS = {
    "model", "input_tokens", "output_tokens", "input_usd", "output_usd", "total_usd",
    "context_window", "fits_context", "compression", "recommendation",
}


def estimate_url(run) -> str:
    return f"/api/v1/runs/{run.pk}/estimate"


@pytest.fixture
def token(people):
    return do_create_token(people.team_a, "read", "acme read", people.alice)[1]


def auth(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post_estimate(client, run, token, body):
    return client.post(estimate_url(run), body, content_type="application/json", **auth(token))


def test_models_lists_every_model_with_its_price_and_availability(client, token, openai_key):
    response = client.get(MODELS, **auth(token))

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert all(MODEL_KEYS <= set(row) for row in rows.values())
    assert rows["gpt-5-mini"]["available"] and rows["gpt-5-mini"]["is_default"]
    assert rows["anthropic/claude-sonnet-4-5"]["unavailable_reason"].startswith("ANTHROPIC_API_KEY is not set")
    assert rows["debrief/offline"]["input_usd_per_mtok"] == 0


def test_models_filters_by_provider_and_availability(client, token, openai_key):
    rows = client.get(MODELS, {"provider": "openai", "available": "true"}, **auth(token)).json()

    assert rows and all(row["provider"] == "openai" and row["available"] for row in rows)


def test_models_needs_a_read_or_full_token(client, people):
    upload = do_create_token(people.team_a, "upload", "ci", people.alice)[1]

    assert client.get(MODELS).status_code == 401
    assert client.get(MODELS, **auth(upload)).json()["error"] == "insufficient_scope"


def test_estimate_answers_the_estimate_dict(client, token, ready_run, openai_key):
    response = post_estimate(client, ready_run, token, {"model": "gpt-5-mini"})

    assert response.status_code == 200
    body = response.json()
    assert ESTIMATE_KEYS <= set(body)
    assert body["model"] == "gpt-5-mini" and body["input_tokens"] > 0 and body["fits_context"]
    assert body["recommendation"]["default_model"] == "gpt-5-mini"


def test_an_unknown_model_is_a_400_with_close_matches(client, token, ready_run, openai_key):
    response = post_estimate(client, ready_run, token, {"model": "gpt5-mini"})

    assert response.status_code == 400
    assert response.json()["error"] == "unknown_model"
    assert "Did you mean gpt-5-mini" in response.json()["detail"]


def test_an_unavailable_model_is_a_400_naming_what_to_set(client, token, ready_run):
    response = post_estimate(client, ready_run, token, {"model": "gpt-5-mini"})

    assert response.status_code == 400
    assert response.json() == {"error": "model_unavailable", "detail": "Model 'gpt-5-mini' is not available: OPENAI_API_KEY is not set"}


@pytest.mark.parametrize("body", [{}, {"model": ""}, {"model": 3}, ["gpt-5-mini"], {"model": "gpt-5-mini", "compression": "zip"}])
def test_a_malformed_request_is_a_400(client, token, ready_run, openai_key, body):
    response = post_estimate(client, ready_run, token, body)

    assert (response.status_code, response.json()["error"]) == (400, "bad_request")


def test_a_run_not_ready_is_a_409(client, token, ready_run, openai_key):
    ready_run.status = RunStatus.QUEUED
    ready_run.save()

    response = post_estimate(client, ready_run, token, {"model": "gpt-5-mini"})

    assert (response.status_code, response.json()["error"]) == (409, "run_not_ready")


def test_another_teams_run_is_a_404(client, people, ready_run, openai_key):
    birch = do_create_token(people.team_b, "full", "birch", people.charlie)[1]

    response = post_estimate(client, ready_run, birch, {"model": "gpt-5-mini"})

    assert (response.status_code, response.json()["error"]) == (404, "not_found")


def test_the_schema_describes_both_endpoints():
    paths = build_schema()["paths"]

    assert paths["/models"]["get"]["x-scopes"] == ["read", "full"]
    assert paths["/runs/{run_id}/estimate"]["post"]["x-scopes"] == ["read", "full"]
    assert set(paths["/runs/{run_id}/estimate"]["post"]["responses"]) >= {"200", "400", "404", "409"}


def test_models_are_those_the_endpoint_lists_and_live_refreshes_the_list(client, token, openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano")
    openai_key.configure(models=["gpt-5-mini"])
    rows = {row["name"]: row for row in client.get(MODELS, {"provider": "openai"}, **auth(token)).json()}
    assert rows["gpt-5-mini"]["listed_live"] and rows["gpt-5-mini"]["availability_note"] is None
    assert rows["gpt-5-nano"]["unavailable_reason"].startswith("not offered by this endpoint")

    openai_key.configure(models=["gpt-5-mini", "gpt-5-nano"])
    cached = client.get(MODELS, {"provider": "openai", "available": "true"}, **auth(token)).json()
    live = client.get(MODELS, {"provider": "openai", "available": "true", "live": "1"}, **auth(token)).json()

    assert [row["name"] for row in cached] == ["gpt-5-mini"]
    assert [row["name"] for row in live] == ["gpt-5-mini", "gpt-5-nano"]
    assert len(openai_key.requests_to("models")) == 2


def test_models_live_must_be_a_boolean(client, token, openai_key):
    response = client.get(MODELS, {"live": "maybe"}, **auth(token))

    assert response.status_code == 400 and response.json()["error"] == "bad_query"


def test_an_estimate_for_a_model_the_endpoint_does_not_list_is_refused(client, token, openai_key, ready_run):
    openai_key.configure(models=["gpt-5-nano"])

    response = post_estimate(client, ready_run, token, {"model": "gpt-5-mini"})

    assert response.status_code == 400 and response.json()["error"] == "model_unavailable"
    assert "not offered by this endpoint" in response.json()["detail"]
