"""Checks behind /healthz. Each returns None when healthy, else why not."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from kombu import Connection
from kombu.exceptions import ChannelError

from webapp.core import heartbeat

BROKER_TIMEOUT_SECONDS = 2


def check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return f"database unreachable: {exc.__class__.__name__}"
    return None


def check_broker() -> str | None:
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return f"broker unreachable: {exc.__class__.__name__}"
    return None


def queue_depths() -> dict[str, int]:
    """Messages waiting in each Celery queue; raises when the broker cannot be read."""
    depths = {}
    with Connection(
        settings.CELERY_BROKER_URL,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
        for queue in settings.CELERY_TASK_QUEUES_NAMES:
            # A channel per queue: on AMQP a failed passive declare closes its channel.
            with conn.channel() as channel:
                if hasattr(channel, "_size"):
                    # Redis (kombu's virtual transport): its passive declare misses queues
                    # under a global key prefix; `_size` counts every priority list.
                    depths[queue] = channel._size(queue)
                    continue
                try:
                    depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
                except ChannelError:  # never declared: nothing waits
                    depths[queue] = 0
    return depths


def check_storage() -> str | None:
    """This machine's folder (uploads arrive there) is writable and the store
    where runs are kept (DEBRIEF_STORAGE_URL: a folder or a bucket) answers."""
    try:
        settings.DEBRIEF_STORAGE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.DEBRIEF_STORAGE_DIR, prefix=".healthz-"):
            pass
    except OSError as exc:
        return f"storage not writable: {exc.strerror or exc.__class__.__name__}"
    try:
        storages["default"].exists(".healthz")  # one HEAD request to a bucket
    except Exception as exc:
        return f"object store unreachable: {exc.__class__.__name__}"
    return None


def check_worker() -> tuple[str | None, float | None]:
    """(problem or None, age of the freshest worker heartbeat in seconds)."""
    try:
        age = heartbeat.latest_age_seconds()
    except Exception as exc:
        return f"worker heartbeat unreadable: {exc.__class__.__name__}", None
    if age is None:
        return "no worker has reported yet", None
    if age > heartbeat.HEARTBEAT_STALE_SECONDS:
        return f"no worker heartbeat for {age:.0f} s", age
    return None, age


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}


def run_checks(*, require_worker: bool = False) -> tuple[dict[str, str | float | None], bool]:
    """Database, broker and storage decide the status. The worker is reported
    (a dead one must be visible) but decides it only when asked: a web server
    whose workers run elsewhere is still healthy without them."""
    report, healthy = {}, True
    for name, check in CHECKS.items():
        problem = check()
        report[name] = problem or "ok"
        healthy = healthy and problem is None
    problem, age = check_worker()
    report["worker"] = problem or "ok"
    report["worker_heartbeat_age_seconds"] = None if age is None else round(age, 1)
    if require_worker:
        healthy = healthy and problem is None
    return report, healthy
