"""The analysis steps run in this process against the in-process fake server:
what is recorded after each step, and what a second delivery does with it."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone

from analysis.llm.errors import TransientLLMError
from tests.analyses.conftest import FAKE_MODEL, FALLBACK_MODEL, analysis_calls
from tests.analyses.support import work
from tests.fakeopenai import Reply
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from webapp.core.leases import MAX_DELIVERIES
from webapp.analyses import pipeline, services
from webapp.analyses.models import Analysis, Stage

pytestmark = pytest.mark.django_db


class Crash(Exception):
    """Stands for the worker dying at a chosen point."""


def expire_lease(analysis: Analysis) -> None:
    Analysis.objects.filter(pk=analysis.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def request(run, user, model=FAKE_MODEL, **options) -> Analysis:
    return services.do_request_analysis(run, user, model, **options)


def test_an_offline_analysis_saves_a_report_at_no_cost(ready_run, people, no_enqueue):
    analysis = work(request(ready_run, people.alice, "debrief/offline"))
    assert (analysis.status, analysis.stage, analysis.answered_by) == ("done", "saved", "debrief/offline")
    assert analysis.verdict in ("pass", "warn", "fail")
    assert analysis.findings and analysis.report_markdown.startswith("# Offline analysis")
    assert analysis.cost_usd == 0 and analysis.calls == []
    assert "<h1>Offline analysis</h1>" in analysis.report_html


def test_an_llm_analysis_records_the_report_the_usage_and_the_prices(ready_run, people, fake_model, no_enqueue):
    queued = request(ready_run, people.alice)
    assert queued.estimate["model"] == FAKE_MODEL and queued.estimate_usd > 0  # stored before any call
    analysis = work(queued)
    assert analysis.status == "done"
    assert analysis.verdict == DEFAULT_ANALYSIS_REPORT["verdict"]
    assert analysis.findings == DEFAULT_ANALYSIS_REPORT["findings"]
    assert analysis.answered_by == FAKE_MODEL and not analysis.fallback_reason
    [call] = analysis_calls(fake_model)
    usage = call_usage(analysis)
    assert analysis.input_tokens == usage["input_tokens"] > 0
    assert analysis.output_tokens == usage["output_tokens"] > 0
    assert analysis.cost_usd == Decimal(str(analysis.calls[0]["cost_usd"])).quantize(Decimal("1e-8"))
    assert analysis.prices == {FAKE_MODEL: {"input_usd_per_mtok": 10.0, "output_usd_per_mtok": 40.0, "cached_input_usd_per_mtok": None}}


def call_usage(analysis: Analysis) -> dict:
    [call] = analysis.calls
    return call["usage"]


def test_the_model_sees_the_offline_findings_in_its_input(ready_run, people, fake_model, no_enqueue):
    work(request(ready_run, people.alice))
    [call] = analysis_calls(fake_model)
    sent = json.dumps(call.body["messages"])
    assert "Automatic checks" in sent


def test_a_reply_recorded_before_a_crash_is_reused_not_bought_again(ready_run, people, fake_model, no_enqueue, monkeypatch):
    analysis = request(ready_run, people.alice)
    original_stage = pipeline._stage

    def crash_when_validating(row, stage, detail=""):
        if stage == Stage.VALIDATING:
            raise Crash()
        original_stage(row, stage, detail)

    monkeypatch.setattr(pipeline, "_stage", crash_when_validating)
    with pytest.raises(Crash):
        work(analysis)
    crashed = Analysis.objects.get(pk=analysis.pk)
    assert crashed.status == "running" and crashed.raw_reply and len(crashed.calls) == 1

    monkeypatch.setattr(pipeline, "_stage", original_stage)
    assert pipeline.claim(analysis.pk) is None  # the dead worker's lease still holds
    expire_lease(analysis)
    finished = work(analysis)
    assert finished.status == "done" and finished.deliveries == 2
    assert len(analysis_calls(fake_model)) == 1
    assert len(finished.calls) == 1


def test_a_finished_analysis_cannot_be_claimed_again(ready_run, people, no_enqueue):
    analysis = work(request(ready_run, people.alice, "debrief/offline"))
    assert pipeline.claim(analysis.pk) is None


def test_an_invalid_reply_is_retried_once_with_the_error(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply(text="not json at all"))
    analysis = work(request(ready_run, people.alice))
    assert analysis.status == "done"
    first, retry = analysis_calls(fake_model)
    assert "not valid JSON" in json.dumps(retry.body["messages"][-1])
    assert [call["purpose"] for call in analysis.calls] == ["analyze", "retry"]


def test_a_reply_invalid_twice_fails_and_keeps_the_raw_reply(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply(text="not json"), Reply(text='{"verdict": "maybe"}'))
    analysis = work(request(ready_run, people.alice))
    assert analysis.status == "failed"
    assert analysis.raw_reply == '{"verdict": "maybe"}'
    assert "did not match the report schema" in analysis.error
    assert analysis.cost_usd > 0  # both calls were paid for


def test_a_permanent_error_falls_back_to_the_next_model_and_says_why(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply.error(404, "The model does not exist.", code="model_not_found"))
    with override_settings(DEBRIEF_FALLBACK_MODELS=(FALLBACK_MODEL,)):
        analysis = work(request(ready_run, people.alice))
    assert analysis.status == "done"
    assert analysis.answered_by == FALLBACK_MODEL
    assert FAKE_MODEL in analysis.fallback_reason and "does not exist" in analysis.fallback_reason


def test_a_permanent_error_without_a_fallback_fails_with_the_providers_reason(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply.error(401, "Incorrect API key provided.", code="invalid_api_key"))
    analysis = work(request(ready_run, people.alice))
    assert analysis.status == "failed"
    assert "Incorrect API key" in analysis.error


def test_a_transient_error_is_left_to_the_task_and_keeps_what_was_done(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", Reply.rate_limited(7))
    analysis = request(ready_run, people.alice)
    with pytest.raises(TransientLLMError) as raised:
        work(analysis)
    assert raised.value.retry_after == 7
    row = Analysis.objects.get(pk=analysis.pk)
    assert (row.status, row.stage, row.calls) == ("running", "calling_model", [])


def test_cancelling_a_queued_analysis_stops_it_at_once(ready_run, people, no_enqueue):
    analysis = services.do_cancel(request(ready_run, people.alice, "debrief/offline"), people.bob)
    assert analysis.status == "cancelled"
    assert pipeline.claim(analysis.pk) is None


def test_a_running_analysis_stops_at_its_next_step_without_calling(ready_run, people, fake_model, no_enqueue):
    analysis = request(ready_run, people.alice)
    claimed = pipeline.claim(analysis.pk)
    services.do_cancel(analysis, people.alice)
    pipeline.run(claimed)
    assert Analysis.objects.get(pk=analysis.pk).status == "cancelled"
    assert analysis_calls(fake_model) == []


def test_a_delivery_past_the_limit_fails_the_analysis(ready_run, people, no_enqueue):
    analysis = request(ready_run, people.alice, "debrief/offline")
    Analysis.objects.filter(pk=analysis.pk).update(deliveries=MAX_DELIVERIES - 1)
    assert work(analysis).status == "done"  # the MAX_DELIVERIES-th delivery still runs

    again = request(ready_run, people.alice, "debrief/offline")
    Analysis.objects.filter(pk=again.pk).update(deliveries=MAX_DELIVERIES)
    failed = work(again)
    assert failed.status == "failed" and f"{MAX_DELIVERIES} attempts" in failed.error


def test_lost_and_abandoned_analyses_are_found_for_sending_again(ready_run, people, no_enqueue):
    fresh = request(ready_run, people.alice, "debrief/offline")
    lost = request(ready_run, people.alice, "debrief/offline")
    Analysis.objects.filter(pk=lost.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    abandoned = request(ready_run, people.alice, "debrief/offline")
    pipeline.claim(abandoned.pk)
    assert pipeline.stalled_ids(timedelta(minutes=10)) == [lost.pk]
    expire_lease(abandoned)
    assert set(pipeline.stalled_ids(timedelta(minutes=10))) == {lost.pk, abandoned.pk}
    assert fresh.pk not in pipeline.stalled_ids(timedelta(minutes=10))


def test_when_serve_replaces_a_dead_worker_the_work_it_held_is_taken_again_at_once(ready_run, people, no_enqueue, monkeypatch, django_capture_on_commit_callbacks):
    from webapp.analyses import tasks
    from webapp.core import leases
    from webapp.runs import ingest
    from webapp.runs.models import Run
    from webapp.runs.services import runs as runs_services

    sent, ingests = [], []
    monkeypatch.setattr(tasks.run_analysis, "delay", sent.append)
    monkeypatch.setattr(runs_services, "send_ingest", ingests.append)
    held = request(ready_run, people.alice, "debrief/offline")
    assert pipeline.claim(held.pk) is not None  # ...by a worker that was then SIGKILLed
    assert pipeline.claim(held.pk) is None  # its lease still holds
    popped = request(ready_run, people.alice, "debrief/offline")  # its message popped by the dying worker: lost
    Run.objects.filter(pk=ready_run.pk).update(status="processing", claimed_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        released = leases.release_orphaned_claims()

    assert released == {"runs": 1, "analyses": 2, "answers": 0}
    assert sorted(sent) == sorted([str(held.pk), str(popped.pk)]) and ingests == [str(ready_run.pk)]
    assert pipeline.claim(held.pk) is not None and pipeline.claim(popped.pk) is not None
    assert ingest.claim(ready_run.pk) is not None
