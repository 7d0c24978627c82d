from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from webapp.core.heartbeat import HEARTBEAT_STALE_SECONDS, beat
from webapp.core.models import WorkerHeartbeat


@pytest.mark.django_db
def test_it_reports_every_part_ok(client, broker_url):
    beat("celery@worker-1")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert {key: body[key] for key in ("database", "broker", "storage", "worker")} == {
        "database": "ok", "broker": "ok", "storage": "ok", "worker": "ok"
    }
    assert 0 <= body["worker_heartbeat_age_seconds"] < 5


@pytest.mark.django_db
def test_it_answers_503_naming_a_stopped_broker(client):
    # Port 1 on loopback has nothing listening: a broker that is down.
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok" and body["storage"] == "ok"
    assert body["broker"].startswith("broker unreachable")


@pytest.mark.django_db
def test_it_answers_503_naming_unwritable_storage(client, tmp_path, broker_url):
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    with override_settings(DEBRIEF_STORAGE_DIR=blocked / "storage"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"].startswith("storage not writable")


@pytest.mark.django_db
def test_a_dead_worker_is_visible_by_its_heartbeat_age_but_the_web_stays_healthy(client, broker_url):
    age = HEARTBEAT_STALE_SECONDS + 15
    WorkerHeartbeat.objects.create(hostname="celery@gone", seen_at=timezone.now() - timedelta(seconds=age))
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["worker"] == f"no worker heartbeat for {age} s"
    assert body["worker_heartbeat_age_seconds"] == pytest.approx(age, abs=2)


@pytest.mark.django_db
def test_a_monitor_can_require_a_live_worker(client, broker_url):
    assert client.get("/healthz?require=worker").json()["worker"] == "no worker has reported yet"
    assert client.get("/healthz?require=worker").status_code == 503
    beat("celery@worker-1")
    assert client.get("/healthz?require=worker").status_code == 200


@pytest.mark.django_db
def test_the_freshest_of_several_workers_counts(client, broker_url):
    WorkerHeartbeat.objects.create(hostname="celery@old", seen_at=timezone.now() - timedelta(hours=1))
    beat("celery@new")
    assert client.get("/healthz").json()["worker"] == "ok"
