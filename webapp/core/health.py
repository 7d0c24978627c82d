"""Checks behind /healthz. Each returns None when healthy, else why not."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.db import connection
from kombu import Connection

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


def check_storage() -> str | None:
    try:
        settings.DEBRIEF_STORAGE_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=settings.DEBRIEF_STORAGE_DIR, prefix=".healthz-"):
            pass
    except OSError as exc:
        return f"storage not writable: {exc.strerror or exc.__class__.__name__}"
    return None


CHECKS = {"database": check_database, "broker": check_broker, "storage": check_storage}


def run_checks() -> tuple[dict[str, str], bool]:
    report, healthy = {}, True
    for name, check in CHECKS.items():
        problem = check()
        report[name] = problem or "ok"
        healthy = healthy and problem is None
    return report, healthy
