import pytest
from django.test import override_settings


@pytest.mark.django_db
def test_it_reports_every_part_ok(client, broker_url):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "storage": "ok"}


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
