"""What holds for the whole API, whatever the endpoint: JSON errors for every
method and path, strict query parsing, rounded money, bodiless 204s, and the one
table from errors to status and code."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import Client

from analysis.registry import ModelUnavailable, UnknownModel
from tests.api.conftest import bearer
from tests.factories import RunFactory
from webapp.analyses.errors import AnalysisRefused
from webapp.runs.errors import RunNotReady
from webapp.api.errors import error_response, status_and_code
from webapp.api.filters import BadQuery
from webapp.api.responses import MONEY_DECIMALS, rounded
from webapp.runs.services import UploadRejected
from webapp.runs.uploads import UploadTooLarge

pytestmark = pytest.mark.django_db
RUN_ID = "12345678-1234-1234-1234-123456789012"
UNMATCHED = ["/api/v1/nope", "/api/v1/runs/", f"/api/v1/runs/{RUN_ID}/", "/api/v1/runs/not-a-uuid/analyses",
             "/api/v1/analyses/not-a-uuid", f"/api/v1/analyses/{RUN_ID}/cancel/", "/api/v1/runs/%0A/estimate"]


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", UNMATCHED)
def test_every_method_on_an_unmatched_path_answers_json_404_even_with_csrf_checks(tokens, method, path):
    response = getattr(Client(enforce_csrf_checks=True), method)(path, headers=bearer(tokens.full))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("value,expected", [("true", True), ("1", True), ("yes", True), ("TRUE", True),
                                            ("false", False), ("0", False), ("no", False)])
def test_available_reads_the_usual_spellings_of_a_boolean(client, tokens, value, expected):
    rows = client.get(f"/api/v1/models?available={value}", headers=bearer(tokens.read)).json()
    assert rows and {row["available"] for row in rows} == {expected}


@pytest.mark.parametrize("value", ["maybe", "", "2", "truee"])
def test_an_unreadable_boolean_is_a_400_bad_query(client, tokens, value):
    response = client.get(f"/api/v1/models?available={value}", headers=bearer(tokens.read))
    assert response.status_code == 400
    assert response.json() == {"error": "bad_query", "detail": "available must be true or false."}


@pytest.mark.parametrize("query", ["since=", "until=", "since=yesterday", "until=2026-02-31", "since=2026-11-24T25:00"])
def test_an_empty_or_unreadable_date_is_a_400_bad_query(client, tokens, query):
    response = client.get(f"/api/v1/runs?{query}", headers=bearer(tokens.read))
    assert response.status_code == 400 and response.json()["error"] == "bad_query"


def test_money_loses_its_float_noise():
    assert rounded({"usd": 0.0056300000000000005, "calls": [{"cost_usd": 0.1 + 0.2}], "tokens": 7}) == {
        "usd": 0.00563, "calls": [{"cost_usd": 0.3}], "tokens": 7}
    assert rounded(1e-10) == 1e-10 and rounded(4e-11) == 0.0  # the rounding is at 10 decimals
    assert MONEY_DECIMALS == 10


def test_run_costs_are_answered_rounded(client, tokens, people):
    run = RunFactory(team=people.team_a, status="ready", cost_usd=0.0056300000000000005)
    assert '"cost_usd": 0.00563,' in client.get(f"/api/v1/runs/{run.pk}", headers=bearer(tokens.read)).content.decode()


def test_a_delete_answers_204_without_a_body_or_its_type(client, tokens, people, storage_dir):
    run = RunFactory(team=people.team_a)
    response = client.delete(f"/api/v1/runs/{run.pk}", headers=bearer(tokens.full))
    assert response.status_code == 204 and response.content == b""
    assert not response.has_header("Content-Type")


@pytest.mark.parametrize("error,status,code", [
    (Http404(), 404, "not_found"),
    (UploadTooLarge("over DEBRIEF_MAX_UPLOAD_BYTES"), 413, "too_large"),
    (UploadRejected("not an archive"), 400, "bad_upload"),
    (BadQuery("limit must be…"), 400, "bad_query"),
    (UnknownModel("gpt-5-mimi"), 400, "unknown_model"),
    (ModelUnavailable("gpt-5", "set OPENAI_API_KEY"), 400, "model_unavailable"),
    (RunNotReady("queued"), 409, "run_not_ready"),
    (AnalysisRefused("too dear", "over_max_cost", {"estimate_usd": 0.5}), 400, "over_max_cost"),
])
def test_one_table_maps_each_error_to_its_status_and_code(error, status, code):
    assert status_and_code(error) == (status, code)
    assert error_response(error).status_code == status


def test_a_refusal_carries_its_figures_and_an_unknown_error_is_not_mapped():
    response = error_response(AnalysisRefused("too dear", "over_max_cost", {"estimate_usd": 0.0056300000000000005}))
    assert response.status_code == 400
    assert response.content == b'{"error": "over_max_cost", "detail": "too dear", "estimate_usd": 0.00563}'
    assert error_response(RuntimeError("a bug")) is None
    assert error_response(OSError(5, "io")) is None  # has an int `code`-like attribute, is no refusal
