"""The analyses API: public contracts CI pipelines depend on."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.analyses.conftest import FAKE_MODEL
from tests.analyses.support import work
from webapp.analyses.budget import do_set_budget
from webapp.analyses.models import Analysis
from webapp.api.tokens import do_create_token
from webapp.runs.models import Run

pytestmark = pytest.mark.django_db

ANALYSIS_KEYS = {"id", "run", "model", "status", "stage", "error", "verdict", "findings", "report_markdown",
                 "report_html", "estimate", "actual", "prices", "answered_by", "url"}
ACTUAL_KEYS = {"input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens", "cost_usd"}


def bearer(team, scope: str) -> dict:
    _, token = do_create_token(team, scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client, run_id, body, headers):
    return client.post(f"/api/v1/runs/{run_id}/analyses", json.dumps(body), content_type="application/json", **headers)


def test_requesting_an_analysis_answers_202_with_the_estimate(client, people, ready_run, no_enqueue):
    response = post(client, ready_run.pk, {"model": "debrief/offline"}, bearer(people.team_a, "full"))
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["estimate"]["model"] == "debrief/offline"
    assert body["url"] == f"http://testserver/analyses/{body['id']}/"
    assert Analysis.objects.get(pk=body["id"]).created_by_token is not None


def test_a_finished_analysis_has_the_whole_contract(client, people, ready_run, fake_model, no_enqueue):
    created = post(client, ready_run.pk, {"model": FAKE_MODEL}, bearer(people.team_a, "full")).json()
    work(Analysis.objects.get(pk=created["id"]))
    body = client.get(f"/api/v1/analyses/{created['id']}", **bearer(people.team_a, "read")).json()
    assert ANALYSIS_KEYS <= set(body)
    assert set(body["actual"]) == ACTUAL_KEYS
    assert body["status"] == "done" and body["stage"] == "saved" and body["verdict"] in ("pass", "warn", "fail")
    assert body["answered_by"] == FAKE_MODEL and body["run"] == str(ready_run.pk)
    assert body["actual"]["input_tokens"] > 0 and body["actual"]["cost_usd"] > 0
    assert body["estimate"]["total_usd"] > 0 and FAKE_MODEL in body["prices"]
    assert "<h1>" in body["report_html"] and body["findings"][0]["severity"] == "warning"


def test_an_unknown_model_is_a_400_that_suggests_names(client, people, ready_run):
    response = post(client, ready_run.pk, {"model": "gpt-5-mimi"}, bearer(people.team_a, "full"))
    assert response.status_code == 400
    assert response.json()["error"] == "unknown_model"


def test_a_model_without_its_key_is_a_400_saying_so(client, people, ready_run):
    response = post(client, ready_run.pk, {"model": "gpt-5-mini"}, bearer(people.team_a, "full"))
    assert response.status_code == 400
    assert response.json()["error"] == "model_unavailable" and "OPENAI_API_KEY" in response.json()["detail"]


def test_an_estimate_over_max_cost_is_refused_with_the_numbers(client, people, ready_run, fake_model):
    body = post(client, ready_run.pk, {"model": FAKE_MODEL, "max_cost_usd": 0.0001}, bearer(people.team_a, "full")).json()
    assert body["error"] == "over_max_cost" and body["max_cost_usd"] == 0.0001 and body["estimate_usd"] > 0.0001
    assert not Analysis.objects.exists()


def test_an_estimate_of_exactly_max_cost_is_accepted(client, people, ready_run, fake_model, no_enqueue):
    estimate = post(client, ready_run.pk, {"model": FAKE_MODEL}, bearer(people.team_a, "full")).json()["estimate"]["total_usd"]
    response = post(client, ready_run.pk, {"model": FAKE_MODEL, "max_cost_usd": estimate}, bearer(people.team_a, "full"))
    assert response.status_code == 202


def test_an_estimate_over_the_budget_is_refused_with_the_numbers(client, people, ready_run, fake_model):
    do_set_budget(people.team_a, people.alice, Decimal("0.00"))
    response = post(client, ready_run.pk, {"model": FAKE_MODEL}, bearer(people.team_a, "full"))
    body = response.json()
    assert response.status_code == 400 and body["error"] == "over_budget"
    assert body["left_usd"] == 0 and body["budget_usd"] == 0 and body["estimate_usd"] > 0
    assert "exceeds the $0.00 left of this month's $0.00 budget" in body["detail"]


def test_a_run_not_ready_is_a_409(client, people, ready_run):
    Run.objects.filter(pk=ready_run.pk).update(status="processing")
    response = post(client, ready_run.pk, {"model": "debrief/offline"}, bearer(people.team_a, "full"))
    assert response.status_code == 409 and response.json()["error"] == "run_not_ready"


@pytest.mark.parametrize("scope", ["upload", "read"])
def test_only_a_full_token_may_request_an_analysis(client, people, ready_run, scope):
    response = post(client, ready_run.pk, {"model": "debrief/offline"}, bearer(people.team_a, scope))
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_an_upload_token_cannot_read_an_analysis(client, people, ready_run, no_enqueue):
    created = post(client, ready_run.pk, {"model": "debrief/offline"}, bearer(people.team_a, "full")).json()
    assert client.get(f"/api/v1/analyses/{created['id']}", **bearer(people.team_a, "upload")).status_code == 403


@pytest.mark.parametrize("body", [{}, {"model": ""}, {"model": 3}, {"model": "debrief/offline", "max_cost_usd": "lots"},
                                  {"model": "debrief/offline", "max_cost_usd": -1}, {"model": "debrief/offline", "compression": "zip"}])
def test_a_malformed_request_is_a_400(client, people, ready_run, body):
    response = post(client, ready_run.pk, body, bearer(people.team_a, "full"))
    assert response.status_code == 400 and response.json()["error"] in ("bad_request", "bad_compression")


def test_the_schema_describes_the_analysis_endpoints(client):
    paths = client.get("/api/v1/schema").json()["paths"]
    assert paths["/runs/{run_id}/analyses"]["post"]["x-scopes"] == ["full"]
    assert paths["/analyses/{analysis_id}"]["get"]["x-scopes"] == ["read", "full"]
