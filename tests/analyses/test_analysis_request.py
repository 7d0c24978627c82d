"""One request shape for starting an analysis: read from a JSON body or a form,
validated once, and what `GET /api/v1/analyses/{id}` says about compression."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.http import Http404

from analysis.compression import CompressionRecord
from analysis.llm.calls import CallRecord
from analysis.llm.usage import Usage
from webapp.analyses import services
from webapp.analyses.errors import AnalysisRefused
from webapp.analyses.models import Analysis
from webapp.analyses.requests import AnalysisRequest, BadAnalysisRequest
from webapp.api.tokens import do_create_token


def test_a_json_body_becomes_a_request_with_defaults():
    request = AnalysisRequest.from_json(b'{"model": " gpt-5-mini ", "max_cost_usd": 0.5, "turn": 1, "attempt": 2}')
    assert request == AnalysisRequest("gpt-5-mini", "auto", Decimal("0.5"), 1, 2)


@pytest.mark.parametrize("body,message", [
    (b"not json", "The body is not JSON."),
    (b"[]", "Send {"),
    (b'{"model": ""}', "Send {"),
    (b'{"model": "m", "max_cost_usd": true}', "max_cost_usd must be a number of dollars."),
    (b'{"model": "m", "max_cost_usd": "lots"}', "max_cost_usd must be a number of dollars."),
    (b'{"model": "m", "max_cost_usd": -1}', "max_cost_usd must be zero or more."),
    (b'{"model": "m", "max_cost_usd": "NaN"}', "max_cost_usd must be zero or more."),
    (b'{"model": "m", "turn": 1}', "Name both the turn and the attempt, or neither."),
    (b'{"model": "m", "turn": "1", "attempt": 1}', "turn must be a whole number."),
])
def test_an_unreadable_body_is_a_bad_request_saying_what_is_wrong(body, message):
    with pytest.raises(BadAnalysisRequest) as refused:
        AnalysisRequest.from_json(body)
    assert refused.value.code == "bad_request" and str(refused.value).startswith(message)


def test_an_unknown_compression_is_refused_with_its_own_code():
    with pytest.raises(AnalysisRefused) as refused:
        AnalysisRequest.from_json(b'{"model": "m", "compression": "zip"}')
    assert refused.value.code == "bad_compression"


def test_a_form_without_numbers_for_turn_and_attempt_means_the_default_attempt():
    assert AnalysisRequest.from_form({"model": "m", "turn": "x", "attempt": "1"}).turn is None
    assert AnalysisRequest.from_form({"model": "m", "turn": "2", "attempt": "1"}) == AnalysisRequest("m", "auto", None, 2, 1)


def test_a_rerun_keeps_the_compression_of_the_analysis_it_repeats():
    assert AnalysisRequest.from_form({"model": "m", "compression": "off"}, "native").compression == "native"


@pytest.mark.django_db
def test_an_attempt_the_run_does_not_have_is_a_404(people, ready_run):
    with pytest.raises(Http404):
        AnalysisRequest("debrief/offline", turn=99, attempt=1).attempt_of(ready_run)


@pytest.mark.django_db
def test_the_api_analyses_the_named_attempt(client, people, ready_run, no_enqueue):
    attempt = ready_run.attempts.order_by("turn", "attempt").last()
    _, token = do_create_token(people.team_a, "full")
    response = client.post(f"/api/v1/runs/{ready_run.pk}/analyses",
                           json.dumps({"model": "debrief/offline", "turn": attempt.turn, "attempt": attempt.attempt}),
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 202
    assert Analysis.objects.get(pk=response.json()["id"]).attempt == attempt
    missing = client.post(f"/api/v1/runs/{ready_run.pk}/analyses", json.dumps({"model": "debrief/offline", "turn": 99, "attempt": 1}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


@pytest.mark.django_db
def test_the_api_carries_the_compression_record_the_report_page_shows(client, people, ready_run, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, "debrief/offline")
    summary = CallRecord("summarize", "gpt-5-nano", Usage(input_tokens=1000, output_tokens=200), 0.0056300000000000005)
    record = CompressionRecord("auto", "summarize", 9000, 3000, 4000, [summary], "native compaction refused (400)")
    Analysis.objects.filter(pk=analysis.pk).update(compression_record=record.to_dict())
    _, token = do_create_token(people.team_a, "read")
    body = client.get(f"/api/v1/analyses/{analysis.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["compression"] == "auto"  # the existing key keeps its meaning: the strategy requested
    assert body["compression_record"] == {
        "requested": "auto", "planned": "none", "applied": "summarize",
        "tokens_before": 9000, "tokens_after": 3000, "budget_tokens": 4000,
        "calls": [{"purpose": "summarize", "model": "gpt-5-nano", "cost_usd": 0.00563, "response_id": None,
                   "usage": {"input_tokens": 1000, "output_tokens": 200, "cached_input_tokens": 0, "reasoning_tokens": 0}}],
        "usage": {"input_tokens": 1000, "output_tokens": 200, "cached_input_tokens": 0, "reasoning_tokens": 0},
        "cost_usd": 0.00563,
        "fallback_reason": "native compaction refused (400)",
    }


@pytest.mark.django_db
def test_before_compression_the_record_says_only_what_was_asked_and_planned(client, people, ready_run, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, "debrief/offline")
    _, token = do_create_token(people.team_a, "read")
    record = client.get(f"/api/v1/analyses/{analysis.pk}", HTTP_AUTHORIZATION=f"Bearer {token}").json()["compression_record"]
    assert record["requested"] == "auto" and record["planned"] == "none"
    assert record["applied"] is None and record["calls"] == [] and record["cost_usd"] is None
