"""Leased work: rows a task delivery claims, and claims whose worker is gone.

`LeasedWork` is the one way a task takes a row (an analysis, a follow-up answer):
a conditional UPDATE moves it from `waiting` (or from `working` with a lease that
ran out) to `working` with a new lease and one more delivery, so a second
delivery of the same message, or a second worker, finds nothing to do; a
delivery after a crash takes the row again once the lease runs out. The row
needs `status`, `lease_expires_at`, `deliveries` and `created_at`.

Work rows (runs being ingested, analyses, follow-up answers) are claimed with a
lease; a delivery after a crash takes them again once the lease runs out, which
may be as long as DEBRIEF_TASK_TIME_LIMIT. `debrief serve` knows better: on the
embedded broker its worker is the only consumer, so when it starts a worker,
every claim still held belongs to a worker that died. It calls
`release_orphaned_claims()`, and each app that claims rows registers (in its
AppConfig.ready) how to give all of its claims up. Apps depend on this module,
never the other way round."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

# The hard time limit kills a task at most this long after its lease starts; the
# margin covers the claim happening just after the task started, and clock skew.
LEASE_MARGIN_SECONDS = 5
# Claims of one row (worker crashes, hard time limits) before its work is failed.
MAX_DELIVERIES = 5


@dataclass(frozen=True)
class LeasedWork:
    model: type[models.Model]
    waiting: str  # status of work no delivery has taken yet
    working: str  # status of work a delivery holds
    scope: dict[str, Any] = field(default_factory=dict)  # which rows of the model are work

    def claim(self, pk) -> bool:
        """Take the row for this delivery; False when another holds it or it is finished."""
        now = timezone.now()
        lease = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + LEASE_MARGIN_SECONDS)
        lease_over = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        claimable = Q(status=self.waiting) | (Q(status=self.working) & lease_over)
        rows = self.model.objects.filter(claimable, pk=pk, **self.scope)
        return rows.update(status=self.working, lease_expires_at=lease, deliveries=F("deliveries") + 1) == 1

    def wait_seconds(self, pk) -> float | None:
        """How long until the lease on a held row runs out; None when it is not held."""
        row = self.model.objects.filter(pk=pk, status=self.working, **self.scope).values("lease_expires_at").first()
        if row is None:
            return None
        expires = row["lease_expires_at"] or timezone.now()
        return max(0.0, (expires - timezone.now()).total_seconds())

    def stalled_ids(self, queued_for: timedelta) -> list:
        """Rows whose message was lost (waiting this long) or whose worker died
        with no redelivery coming (held on a lease that ran out), for the sweeper."""
        now = timezone.now()
        lost = Q(status=self.waiting, created_at__lt=now - queued_for)
        abandoned = Q(status=self.working, lease_expires_at__lt=now)
        return list(self.model.objects.filter(lost | abandoned, **self.scope).values_list("pk", flat=True))

    def release_all(self) -> int:
        """Expire every live lease (their worker is gone); returns how many."""
        expired = timezone.now() - timedelta(seconds=1)
        held = self.model.objects.filter(status=self.working, lease_expires_at__gt=expired, **self.scope)
        return held.update(lease_expires_at=expired)


# kind -> dotted path of a function that expires every live claim of that kind and
# returns how many. A path, not the function: importing the work modules at start-up
# would slow down every `debrief` command.
_releasers: dict[str, str] = {}


def register(kind: str, release_all_path: str) -> None:
    _releasers[kind] = release_all_path


def release_orphaned_claims() -> dict[str, int]:
    """Expire every live claim; only safe when no worker is running. Returns the
    count per kind, for the log."""
    return {kind: import_string(path)() for kind, path in _releasers.items()}
