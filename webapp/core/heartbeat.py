"""Worker heartbeats: each worker writes its row every HEARTBEAT_INTERVAL_SECONDS;
`/healthz` reports the freshest age and calls the workers stale past
HEARTBEAT_STALE_SECONDS (a few missed beats, not one slow write)."""

from __future__ import annotations

import logging

from django.db import DatabaseError, close_old_connections
from django.utils import timezone

from webapp.core.models import WorkerHeartbeat

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_SECONDS = 10
HEARTBEAT_STALE_SECONDS = 45


def beat_from_worker(hostname: str) -> None:
    # The worker's main process holds this connection for its whole life:
    # drop it when the database closed it, as a request would.
    close_old_connections()
    beat(hostname)


def beat(hostname: str) -> None:
    try:
        WorkerHeartbeat.objects.update_or_create(hostname=hostname[:255], defaults={"seen_at": timezone.now()})
    except DatabaseError as exc:  # a missed beat shows as age; it must not stop the worker
        log.warning("worker heartbeat not recorded: %s", exc)


def latest_age_seconds() -> float | None:
    """Seconds since the freshest heartbeat of any worker; None when none ever beat."""
    seen = WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
    if seen is None:
        return None
    return max(0.0, (timezone.now() - seen).total_seconds())
