"""Transient provider failures: each retry is logged in the row, told to the person
waiting, kept apart from deliveries lost to a dead worker, and the failure that
ends the work says what the provider answered every time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from analysis.llm.errors import TransientLLMError
from tests.analyses.conftest import FAKE_MODEL
from tests.analyses.support import work
from tests.fakeopenai import Reply
from webapp.analyses import pipeline, services, tasks
from webapp.analyses.models import Analysis
from webapp.core import leases
from webapp.core.leases import LEASE_SECONDS, MAX_DELIVERIES, crash_deliveries
from webapp.core.task_options import give_up_message, retry_detail, retry_entry

pytestmark = pytest.mark.django_db

RATE_LIMITED = Reply.rate_limited(1)
SERVER_ERROR = Reply.error(500, "The server had an error while processing your request.", type="server_error")


def request(run, user, model: str = FAKE_MODEL) -> Analysis:
    return services.do_request_analysis(run, user, model)


def held(run, user) -> Analysis:
    """An analysis that calls no provider (the claim is what these tests watch)."""
    return request(run, user, "debrief/offline")


def test_a_provider_that_always_answers_429_fails_the_analysis_with_that_reason(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", *[RATE_LIMITED] * (tasks.MAX_TRANSIENT_RETRIES + 1))
    analysis = request(ready_run, people.alice)

    tasks.run_analysis.apply(args=[str(analysis.pk)])  # eager: each retry runs at once

    failed = Analysis.objects.get(pk=analysis.pk)
    assert failed.status == "failed"
    assert failed.error.startswith(f"{FAKE_MODEL} answered 429 (")
    assert f"{tasks.MAX_TRANSIENT_RETRIES + 1} times over" in failed.error
    assert failed.error.endswith(f"gave up after {tasks.MAX_TRANSIENT_RETRIES} retries.")
    assert "Rate limit reached" in failed.error and "worker" not in failed.error
    assert len(failed.retry_log) == tasks.MAX_TRANSIENT_RETRIES
    assert {entry["status"] for entry in failed.retry_log} == {429}
    assert crash_deliveries(failed) == 1  # retries are not mistaken for crashes


def test_a_transient_error_is_retried_and_the_analysis_finishes(ready_run, people, fake_model, no_enqueue):
    fake_model.script("chat", SERVER_ERROR)
    analysis = request(ready_run, people.alice)

    tasks.run_analysis.apply(args=[str(analysis.pk)])

    done = Analysis.objects.get(pk=analysis.pk)
    assert done.status == "done"
    assert [entry["status"] for entry in done.retry_log] == [500]
    assert [call["purpose"] for call in done.calls] == ["analyze"]  # the 500 cost nothing


def test_the_page_says_what_the_retry_waits_for():
    error = TransientLLMError("Rate limit reached", status_code=429, retry_after=20)
    assert retry_detail(error, 20) == "retrying in 20 s after a 429: Rate limit reached"
    timeout = TransientLLMError("the provider did not answer within 300 s")
    assert retry_detail(timeout, 5) == "retrying in 5 s after an error: the provider did not answer within 300 s"


def test_the_final_message_counts_every_kind_of_failure():
    log = [retry_entry(TransientLLMError("Rate limit reached", status_code=429), 20) for _ in range(3)]
    log += [retry_entry(TransientLLMError("Bad gateway", status_code=502), 5)]
    message = give_up_message("gpt-4o-mini", log, TransientLLMError("timed out"))
    assert message.startswith("gpt-4o-mini answered 429 (Rate limit reached) 3 times; answered 502 (Bad gateway) once; failed (timed out) once over ")
    assert message.endswith("; gave up after 4 retries.")


def test_a_waiting_retry_keeps_the_analysis_held_until_it_is_due(ready_run, people, no_enqueue):
    analysis = held(ready_run, people.alice)
    claimed = pipeline.claim(analysis.pk)
    error = TransientLLMError("Rate limit reached", status_code=429)
    pipeline.retry_later(claimed, error, 30, hold_seconds=30)

    waiting = Analysis.objects.get(pk=analysis.pk)
    assert waiting.status == "running" and waiting.stage_detail == "retrying in 30 s after a 429: Rate limit reached"
    assert pipeline.claim(analysis.pk) is None  # nothing else takes it meanwhile
    assert pipeline.stalled_ids(timedelta(minutes=10)) == []  # nor does the sweeper

    Analysis.objects.filter(pk=analysis.pk).update(lease_expires_at=timezone.now())  # the retry is due
    assert pipeline.claim(analysis.pk) is not None
    assert crash_deliveries(Analysis.objects.get(pk=analysis.pk)) == 1


def test_a_retry_whose_message_was_lost_is_found_by_the_sweeper(ready_run, people, no_enqueue):
    analysis = held(ready_run, people.alice)
    pipeline.retry_later(pipeline.claim(analysis.pk), TransientLLMError("boom", status_code=503), 5, hold_seconds=5)
    Analysis.objects.filter(pk=analysis.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert pipeline.stalled_ids(timedelta(minutes=10)) == [analysis.pk]


def test_a_running_analysis_held_by_nobody_is_found_by_the_sweeper(ready_run, people, no_enqueue):
    analysis = held(ready_run, people.alice)
    Analysis.objects.filter(pk=analysis.pk).update(status="running", lease_expires_at=None)
    assert pipeline.stalled_ids(timedelta(minutes=10)) == [analysis.pk]


def test_deliveries_that_ended_in_a_retry_do_not_count_towards_giving_up(ready_run, people, no_enqueue):
    analysis = held(ready_run, people.alice)
    retries = [retry_entry(TransientLLMError("busy", status_code=503), 5)] * 3
    Analysis.objects.filter(pk=analysis.pk).update(deliveries=MAX_DELIVERIES - 1 + len(retries), retry_log=retries)
    assert work(analysis).status == "done"  # MAX_DELIVERIES crashes at most, the retries aside

    again = held(ready_run, people.alice)
    Analysis.objects.filter(pk=again.pk).update(deliveries=MAX_DELIVERIES + len(retries), retry_log=retries)
    failed = work(again)
    assert failed.status == "failed" and failed.error.startswith(f"Gave up after {MAX_DELIVERIES} attempts: the worker stopped")


@pytest.mark.django_db(transaction=True)  # the renewing thread has its own connection: it must see the row
def test_a_claim_is_renewed_while_its_task_works_and_lapses_when_it_stops(ready_run, people, no_enqueue, monkeypatch):
    monkeypatch.setattr(leases, "LEASE_RENEW_SECONDS", 0.05)
    analysis = held(ready_run, people.alice)
    pipeline.claim(analysis.pk)
    short = timezone.now() + timedelta(seconds=1)
    Analysis.objects.filter(pk=analysis.pk).update(lease_expires_at=short)

    with pipeline.WORK.holding(analysis.pk):
        deadline = time.monotonic() + 5
        while Analysis.objects.get(pk=analysis.pk).lease_expires_at <= short and time.monotonic() < deadline:
            time.sleep(0.05)
    renewed = Analysis.objects.get(pk=analysis.pk).lease_expires_at
    assert renewed > timezone.now() + timedelta(seconds=LEASE_SECONDS - 5)
    assert not any(thread.name == f"lease-{analysis.pk}" for thread in threading.enumerate())


def test_a_bug_fails_the_analysis_at_once_saying_so(ready_run, people, no_enqueue, monkeypatch):
    analysis = held(ready_run, people.alice)

    def broken(row, **options):
        raise KeyError("verdict")

    monkeypatch.setattr(pipeline, "run", broken)
    tasks.run_analysis.apply(args=[str(analysis.pk)])

    failed = Analysis.objects.get(pk=analysis.pk)
    assert failed.status == "failed"
    assert failed.error == "Debrief hit an unexpected error (KeyError: 'verdict'); the worker log has the details."
