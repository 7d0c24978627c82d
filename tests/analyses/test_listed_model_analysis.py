"""A self-hosted OpenAI-compatible server at OPENAI_BASE_URL: the models it lists are
the OpenAI models offered, one nothing prices is analysed with as a custom model
(cost unknown), and a cost limit refuses it rather than count it as free."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.analyses.support import work
from webapp.analyses import services
from webapp.analyses.errors import AnalysisRefused
from webapp.analyses.budget import do_set_budget
from webapp.llm.services import list_models

pytestmark = pytest.mark.django_db

LISTED = ["gpt-5-mini", "gpt-5-nano", "my-llama-3"]


@pytest.fixture
def gateway(fake_openai, monkeypatch, settings):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    settings.DEBRIEF_MODEL_DISCOVERY = True
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano", "gpt-4o")
    fake_openai.configure(models=LISTED)
    return fake_openai


def test_the_openai_models_offered_are_those_the_endpoint_lists(gateway):
    rows = {row["name"]: row for row in list_models(provider="openai")}
    assert sorted(name for name, row in rows.items() if row["available"]) == LISTED
    assert rows["gpt-4o"]["unavailable_reason"].startswith("not offered by this endpoint")
    assert (rows["my-llama-3"]["custom"], rows["my-llama-3"]["price_known"]) == (True, False)


def test_an_unlisted_model_is_refused_with_the_reason(gateway, ready_run, people, no_enqueue):
    with pytest.raises(AnalysisRefused, match="not offered by this endpoint") as refused:
        services.do_request_analysis(ready_run, people.alice, "gpt-4o")
    assert refused.value.code == "model_unavailable"


def test_a_listed_unpriced_model_analyses_the_run_through_its_endpoint(gateway, ready_run, people, no_enqueue):
    queued = services.do_request_analysis(ready_run, people.alice, "my-llama-3")
    assert queued.estimate["price_known"] is False and queued.estimate_usd == 0
    analysis = work(queued)
    assert analysis.status == "done", analysis.error
    [call] = [request for request in gateway.requests() if request.endpoint == "chat"]
    assert call.body["model"] == "my-llama-3"
    assert analysis.prices["my-llama-3"]["input_usd_per_mtok"] is None  # recorded as unknown, not $0/M


@pytest.mark.parametrize("limit", ["max_cost", "budget"])
def test_a_cost_limit_refuses_an_unpriced_model_and_asks_for_a_price(gateway, ready_run, people, no_enqueue, limit):
    options = {}
    if limit == "max_cost":
        options["max_cost_usd"] = Decimal("1")
    else:
        do_set_budget(ready_run.team, people.alice, Decimal("10"))
    with pytest.raises(AnalysisRefused, match="no known price.*input_usd_per_mtok") as refused:
        services.do_request_analysis(ready_run, people.alice, "my-llama-3", **options)
    assert refused.value.code == "price_unknown"
