import time

import pytest

from webapp.core.models import WorkerHeartbeat
from webapp.core.tasks import record_heartbeat

WAIT_SECONDS = 30


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_the_broker_runs_on_a_real_worker_and_writes_to_the_database(celery_worker):
    record_heartbeat.delay("round-trip-check")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(hostname="round-trip-check").exists():
            return
        time.sleep(0.2)
    pytest.fail(f"the worker never wrote the row; its log:\n{celery_worker.output()}")


def test_tasks_are_routed_to_named_queues():
    from django.conf import settings

    assert settings.CELERY_TASK_QUEUES_NAMES == ("ingest", "analysis", "default")
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_SERIALIZER == "json"


@pytest.mark.django_db(transaction=True)
def test_a_running_worker_records_its_own_heartbeat(celery_worker):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(hostname__startswith="test-").exists():
            return
        time.sleep(0.2)
    pytest.fail(f"the worker never recorded a heartbeat; its log:\n{celery_worker.output()}")
