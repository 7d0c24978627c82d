"""Spend as the provider bills it: a reply that arrived but could not be read,
and a call that was in flight when its worker died, are counted at their
estimate, apart from what was measured, in the analysis and in the budget."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analysis.engine import analyzer as engine
from tests.analyses.conftest import FAKE_MODEL
from tests.analyses.support import WorkerKilled, dies_during_first_call, swept_and_delivered_twice, work
from tests.fakeopenai import Reply
from webapp.analyses import pipeline, services, tasks
from webapp.analyses.budget import OverBudget, budget_state, do_set_budget
from webapp.analyses.models import Analysis

pytestmark = pytest.mark.django_db

# A call may take this long here; the hanging reply comes well after it.
CALL_TIMEOUT_SECONDS = 1
HANGS = Reply(delay=CALL_TIMEOUT_SECONDS + 2)
CUT_OFF = Reply(raw_body='{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "{\\"verd')


def test_a_reply_that_was_cut_off_is_retried_and_counted_at_its_estimate(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", CUT_OFF)
    analysis = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)

    tasks.run_analysis.apply(args=[str(analysis.pk)])

    done = Analysis.objects.get(pk=analysis.pk)
    assert done.status == "done"
    [unread] = done.unconfirmed_calls
    assert unread["estimated"] and unread["purpose"] == "analyze" and unread["model"] == FAKE_MODEL
    assert unread["reason"].startswith("answered 200 with a reply that could not be read (")
    assert unread["usage"]["input_tokens"] > 0 and unread["cost_usd"] > 0
    assert done.unconfirmed_usd == Decimal(str(unread["cost_usd"])).quantize(Decimal("1e-8"))
    assert [entry["status"] for entry in done.retry_log] == [200]
    assert [call["purpose"] for call in done.calls] == ["analyze"]  # what was measured stays apart
    state = budget_state(people.team_a)
    assert state.spent == done.cost_usd + done.unconfirmed_usd and state.unconfirmed == done.unconfirmed_usd


def test_a_call_in_flight_when_its_worker_died_stays_counted_at_its_estimate(ready_run, people, fake_model, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    claimed = pipeline.claim(analysis.pk)
    estimate = {"purpose": "analyze", "model": FAKE_MODEL, "cost_usd": 0.0125, "response_id": None,
                "usage": {"input_tokens": 1000, "output_tokens": 6000}, "phase": FAKE_MODEL, "at": timezone.now().isoformat()}
    Analysis.objects.filter(pk=claimed.pk).update(call_in_flight=estimate, lease_expires_at=timezone.now() - timedelta(seconds=1))

    resumed = pipeline.claim(analysis.pk)  # the next delivery, after the worker died mid-call

    assert resumed.call_in_flight is None
    [unread] = resumed.unconfirmed_calls
    assert unread["reason"] == "in flight when its worker stopped" and unread["cost_usd"] == 0.0125
    assert resumed.unconfirmed_usd == Decimal("0.0125")
    pipeline.run(resumed)
    finished = Analysis.objects.get(pk=analysis.pk)
    assert finished.status == "done" and finished.unconfirmed_usd == Decimal("0.0125")
    assert budget_state(people.team_a).spent == finished.cost_usd + Decimal("0.0125")


def test_a_call_that_returns_is_no_longer_in_flight(ready_run, people, fake_model, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    tasks.run_analysis.apply(args=[str(analysis.pk)])
    done = Analysis.objects.get(pk=analysis.pk)
    assert done.call_in_flight is None and done.unconfirmed_calls == [] and done.unconfirmed_usd == 0


def test_an_error_reply_is_not_counted_as_billed(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply.rate_limited(1), Reply.error(500, "boom", type="server_error"))
    analysis = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    tasks.run_analysis.apply(args=[str(analysis.pk)])
    done = Analysis.objects.get(pk=analysis.pk)
    assert done.status == "done" and [entry["status"] for entry in done.retry_log] == [429, 500]
    assert done.unconfirmed_calls == [] and done.unconfirmed_usd == 0 and done.call_in_flight is None


def test_a_reply_that_does_not_come_in_time_is_retried_and_counted_at_its_estimate(ready_run, people, fake_model, no_enqueue, settings):
    settings.DEBRIEF_LLM_CALL_TIMEOUT = CALL_TIMEOUT_SECONDS
    fake_model.script("chat", HANGS)
    analysis = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)

    tasks.run_analysis.apply(args=[str(analysis.pk)])

    done = Analysis.objects.get(pk=analysis.pk)
    assert done.status == "done" and [call["purpose"] for call in done.calls] == ["analyze"]
    [unread] = done.unconfirmed_calls
    assert unread["purpose"] == "analyze" and unread["reason"].startswith("no reply within the time-out")
    assert unread["cost_usd"] > 0 and done.unconfirmed_usd == Decimal(str(unread["cost_usd"])).quantize(Decimal("1e-8"))
    assert budget_state(people.team_a).unconfirmed == done.unconfirmed_usd


def test_a_call_out_when_its_worker_is_killed_is_counted_once_however_often_it_is_delivered(
    ready_run, people, fake_model, no_enqueue, monkeypatch
):
    dies_during_first_call(monkeypatch, engine, "call_model")
    queued = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    with pytest.raises(WorkerKilled):
        work(queued)
    killed = Analysis.objects.get(pk=queued.pk)
    assert killed.status == "running" and killed.call_in_flight["purpose"] == "analyze"
    estimate = killed.call_in_flight["cost_usd"]
    swept_and_delivered_twice(monkeypatch, killed, tasks.run_analysis, tasks.requeue_stalled_analyses)

    done = Analysis.objects.get(pk=queued.pk)
    assert done.status == "done" and done.call_in_flight is None
    [unread] = done.unconfirmed_calls
    assert unread["reason"] == "in flight when its worker stopped" and unread["cost_usd"] == estimate
    assert done.unconfirmed_usd == Decimal(str(estimate)).quantize(Decimal("1e-8"))
    assert budget_state(people.team_a).spent == done.cost_usd + done.unconfirmed_usd


def test_a_request_is_refused_once_unconfirmed_spend_leaves_too_little(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", CUT_OFF)
    first = services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    tasks.run_analysis.apply(args=[str(first.pk)])
    first.refresh_from_db()
    assert first.unconfirmed_usd > 0
    # Enough for the next estimate if only measured spend counted; not with the unconfirmed.
    limit = first.cost_usd + first.unconfirmed_usd + first.estimate_usd - first.unconfirmed_usd / 2
    do_set_budget(people.team_a, people.alice, limit)

    with pytest.raises(OverBudget):
        services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)

    do_set_budget(people.team_a, people.alice, limit + first.unconfirmed_usd)
    assert services.do_request_analysis(ready_run, people.alice, FAKE_MODEL).status == "queued"
