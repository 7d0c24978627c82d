"""Analyses run by a real Celery worker process on Redis, against the fake OpenAI
server: a whole analysis, a rate limit honoured, and a worker killed mid-call.

The worker is our own (its own broker key prefix, so the session's worker never
takes these tasks), with a models file that points our custom model at the fake."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.conf import settings

from tests.analyses.conftest import FAKE_MODEL, analysis_calls, models_toml, worker_env
from tests.samples import ingest_sample
from tests.fakeopenai import FakeOpenAI, Reply
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from tests.workers import WorkerProcess
from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.analyses.tasks import run_analysis
from webapp.celery import app

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

FINISH_TIMEOUT_SECONDS = 90
POLL_SECONDS = 0.05
SLOW_REPLY_SECONDS = 6


@pytest.fixture(scope="module")
def fake_server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture(scope="module")
def models_file(fake_server, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "models.toml"
    path.write_text(models_toml(fake_server.base_url))
    return path


@pytest.fixture(scope="module")
def keyprefix():
    return f"debrief-test-analyses-{uuid.uuid4().hex[:8]}-"


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, broker_url, models_file, keyprefix, tmp_path_factory):
    process = WorkerProcess(tmp_path_factory.mktemp("analysis-worker") / "worker.log", worker_env(models_file, keyprefix))
    yield process.start()
    process.stop()


@pytest.fixture
def enqueue_to_worker(monkeypatch, keyprefix, models_file, fake_server, worker):
    """Requests made in the test go to our worker's queue, and the test process sees the same models."""
    monkeypatch.setenv("DEBRIEF_MODELS_FILE", str(models_file))
    fake_server.reset()

    def enqueue(analysis_id):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS | {"global_keyprefix": keyprefix}
        with app.connection_for_write(transport_options=options) as connection:
            run_analysis.apply_async(args=[str(analysis_id)], connection=connection)

    monkeypatch.setattr(services, "enqueue", enqueue)
    return fake_server


def wait_until_finished(analysis: Analysis, worker: WorkerProcess) -> Analysis:
    deadline = time.monotonic() + FINISH_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        analysis.refresh_from_db()
        if analysis.is_finished:
            return analysis
        time.sleep(POLL_SECONDS)
    raise AssertionError(f"analysis still {analysis.status}/{analysis.stage}; worker said:\n{worker.output()[-4000:]}")


def wait_for_requests(fake, count: int) -> float:
    deadline = time.monotonic() + FINISH_TIMEOUT_SECONDS
    while len(analysis_calls(fake)) < count:
        assert time.monotonic() < deadline, f"the fake saw {len(analysis_calls(fake))} analysis calls, expected {count}"
        time.sleep(POLL_SECONDS)
    return time.monotonic()


def test_a_worker_runs_an_analysis_to_a_saved_report(people, enqueue_to_worker, worker):
    run = ingest_sample(people.team_a)
    analysis = wait_until_finished(services.do_request_analysis(run, people.alice, FAKE_MODEL), worker)
    assert (analysis.status, analysis.stage, analysis.error) == ("done", "saved", "")
    assert analysis.findings == DEFAULT_ANALYSIS_REPORT["findings"]
    assert analysis.cost_usd > 0 and analysis.input_tokens > 0
    assert len(analysis_calls(enqueue_to_worker)) == 1


def test_a_rate_limited_call_is_retried_after_the_providers_retry_after(people, enqueue_to_worker, worker):
    retry_after = 2
    enqueue_to_worker.script("chat", Reply.rate_limited(retry_after))
    run = ingest_sample(people.team_a)
    analysis = services.do_request_analysis(run, people.alice, FAKE_MODEL)
    first = wait_for_requests(enqueue_to_worker, 1)
    second = wait_for_requests(enqueue_to_worker, 2)
    analysis = wait_until_finished(analysis, worker)
    assert analysis.status == "done"
    assert second - first >= retry_after - 2 * POLL_SECONDS
    assert [call["purpose"] for call in analysis.calls] == ["analyze"]  # the 429 cost nothing


def test_a_worker_killed_mid_call_is_replaced_and_the_model_answers_once(people, enqueue_to_worker, worker):
    slow = {**DEFAULT_ANALYSIS_REPORT, "verdict": "fail", "findings": []}
    enqueue_to_worker.script("chat", Reply(text=json.dumps(slow), delay=SLOW_REPLY_SECONDS))
    run = ingest_sample(people.team_a)
    analysis = services.do_request_analysis(run, people.alice, FAKE_MODEL)
    wait_for_requests(enqueue_to_worker, 1)
    worker.kill()  # while the fake is still writing its (slow) answer: that call never completes
    assert Analysis.objects.get(pk=analysis.pk).calls == []
    worker.start()

    analysis = wait_until_finished(analysis, worker)
    assert analysis.status == "done"
    assert analysis.deliveries == 2
    # Two requests reached the fake; only the second was answered to a live worker,
    # and it is the one the report and the bill come from.
    assert len(analysis_calls(enqueue_to_worker)) == 2
    assert analysis.verdict == DEFAULT_ANALYSIS_REPORT["verdict"] and analysis.findings == DEFAULT_ANALYSIS_REPORT["findings"]
    assert [call["purpose"] for call in analysis.calls] == ["analyze"]
