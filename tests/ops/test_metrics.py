"""/metrics: Prometheus text, only with DEBRIEF_METRICS_TOKEN; counters kept in
the database, so a task run by a separate worker process shows on the web's page."""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.analyses.conftest import FAKE_MODEL
from tests.analyses.support import work
from tests.api.conftest import bearer
from tests.samples import ingest_sample
from webapp.analyses import services as analyses
from webapp.core import metrics
from webapp.core.tasks import record_heartbeat
from webapp.llm.metrics import provider_of

pytestmark = pytest.mark.django_db
TOKEN = "metrics-secret-token"
WAIT_SECONDS = 30


@pytest.fixture
def metrics_token(settings):
    settings.DEBRIEF_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_metrics_answer_404_without_the_token_and_404_when_none_is_set(client, settings):
    settings.DEBRIEF_METRICS_TOKEN = None
    assert client.get("/metrics", headers=bearer("anything")).status_code == 404
    assert client.get("/metrics").status_code == 404
    settings.DEBRIEF_METRICS_TOKEN = TOKEN
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=bearer(TOKEN + "x")).status_code == 404
    assert client.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 404
    assert client.get("/metrics", headers=bearer(TOKEN)).status_code == 200


def test_every_family_is_exposed_with_the_token(client, metrics_token):
    text = client.get("/metrics", headers=bearer(TOKEN)).content.decode()
    for name in ("debrief_tasks_total", "debrief_task_seconds", "debrief_queue_depth", "debrief_llm_calls_total",
                 "debrief_llm_cost_usd_total", "debrief_runs_ingested_total", "debrief_ingest_bytes_total"):
        assert f"# TYPE {name.removesuffix('_total')}" in text, name
    for queue in ("ingest", "analysis", "default"):
        assert f'debrief_queue_depth{{queue="{queue}"}}' in text


def test_a_task_is_counted_with_its_outcome_and_duration(client, metrics_token):
    record_heartbeat.apply(args=["metrics-check"])
    samples = scrape(client)
    task = "webapp.core.tasks.record_heartbeat"
    assert samples[("debrief_tasks_total", (("outcome", "success"), ("task", task)))] == 1
    assert samples[("debrief_task_seconds_count", (("task", task),))] == 1
    assert samples[("debrief_task_seconds_bucket", (("le", "+Inf"), ("task", task)))] == 1
    assert samples[("debrief_task_seconds_sum", (("task", task),))] >= 0


def test_histogram_buckets_add_up_to_each_bound(client, metrics_token):
    for seconds in (0.1, 0.2, 0.5, 1800.0, 1800.1):
        metrics.observe_task_seconds("t", seconds)
    samples = scrape(client)
    bucket = {dict(labels)["le"]: value for (name, labels), value in samples.items() if name == "debrief_task_seconds_bucket"}
    # A bound holds the observations up to and including it.
    assert (bucket["0.1"], bucket["0.5"], bucket["1.0"], bucket["1800.0"], bucket["+Inf"]) == (1, 3, 3, 4, 5)
    assert samples[("debrief_task_seconds_sum", (("task", "t"),))] == pytest.approx(3600.9)


def test_ingest_and_provider_calls_are_counted(client, people, no_enqueue, storage_dir, metrics_token, fake_model):
    run = ingest_sample(people.team_a)
    analysis = work(analyses.do_request_analysis(run, people.alice, FAKE_MODEL))
    assert analysis.status == "done" and analysis.cost_usd > 0
    samples = scrape(client)
    assert samples[("debrief_runs_ingested_total", ())] == 1
    assert samples[("debrief_ingest_bytes_total", ())] == run.size_bytes > 0
    provider = provider_of(FAKE_MODEL)
    labels = (("model", FAKE_MODEL), ("provider", provider), ("status", "ok"))
    assert samples[("debrief_llm_calls_total", labels)] == len(analysis.calls)
    cost = samples[("debrief_llm_cost_usd_total", (("model", FAKE_MODEL), ("provider", provider)))]
    assert cost == pytest.approx(float(analysis.cost_usd), abs=1e-6)


def test_a_metric_that_cannot_be_written_never_fails_the_work(people, monkeypatch):
    from django.db import DatabaseError, transaction

    def broken(*args):
        raise DatabaseError("no such table")

    monkeypatch.setattr(metrics, "_add", broken)
    with transaction.atomic():
        metrics.inc("debrief_runs_ingested")
        people.team_a.save()  # the surrounding transaction still works


def test_an_unknown_counter_is_a_programming_error():
    with pytest.raises(KeyError):
        metrics.inc("debrief_typo")


@pytest.mark.django_db(transaction=True)
def test_a_task_run_by_a_separate_worker_process_is_counted_on_the_web(client, celery_worker, metrics_token):
    record_heartbeat.delay("metrics-across-processes")
    key = ("debrief_tasks_total", (("outcome", "success"), ("task", "webapp.core.tasks.record_heartbeat")))
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if scrape(client).get(key, 0) >= 1:
            return
        time.sleep(0.3)
    pytest.fail(f"the worker's task never showed on /metrics; its log:\n{celery_worker.output()}")


def test_the_sample_dashboard_queries_only_metrics_that_exist(client, metrics_token):
    import json
    import re
    from pathlib import Path

    text = client.get("/metrics", headers=bearer(TOKEN)).content.decode()
    exposed = set(re.findall(r"^# TYPE (\w+) (\w+)$", text, re.M))
    names = {name + suffix for name, kind in exposed for suffix in (("_bucket", "_sum", "_count") if kind == "histogram" else ("",))}
    dashboard = json.loads((Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json").read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"] for name in re.findall(r"debrief_\w+", target["expr"])}
    assert queried and queried <= names, queried - names
    assert {"debrief_tasks_total", "debrief_queue_depth", "debrief_llm_cost_usd_total"} <= queried


def test_a_failed_and_retried_call_is_counted_by_its_status(client, people, no_enqueue, storage_dir, metrics_token, fake_model):
    from tests.analyses.test_retries import SERVER_ERROR
    from webapp.analyses import tasks

    fake_model.script("chat", SERVER_ERROR)
    analysis = analyses.do_request_analysis(ingest_sample(people.team_a), people.alice, FAKE_MODEL)
    tasks.run_analysis.apply(args=[str(analysis.pk)])  # eager: the retry runs at once
    samples = scrape(client)
    provider = provider_of(FAKE_MODEL)
    calls = {dict(labels)["status"]: value for (name, labels), value in samples.items() if name == "debrief_llm_calls_total"}
    assert calls == {"http_500": 1, "ok": 1}
    task = "webapp.analyses.tasks.run_analysis"
    assert samples[("debrief_tasks_total", (("outcome", "retry"), ("task", task)))] == 1
    assert samples[("debrief_tasks_total", (("outcome", "success"), ("task", task)))] == 1
    assert provider


def test_queue_depth_counts_the_messages_waiting(client, settings, metrics_token):
    from webapp.celery import app as celery_app

    queue = "metrics-test-queue"
    settings.CELERY_TASK_QUEUES_NAMES = (*settings.CELERY_TASK_QUEUES_NAMES, queue)
    with celery_app.connection_for_write() as connection:
        for _ in range(2):
            celery_app.send_task("webapp.core.tasks.record_heartbeat", args=["nobody"], queue=queue, connection=connection)
    try:
        assert scrape(client)[("debrief_queue_depth", (("queue", queue),))] == 2
    finally:
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)
    assert scrape(client)[("debrief_queue_depth", (("queue", queue),))] == 0
