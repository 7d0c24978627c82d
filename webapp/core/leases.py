"""Leased work: rows a task delivery claims, and claims whose worker is gone.

`LeasedWork` is the one way a task takes a row (an analysis, a follow-up answer):
a conditional UPDATE moves it from `waiting` (or from `working` with a lease that
ran out) to `working` with a new lease and one more delivery, so a second
delivery of the same message, or a second worker, finds nothing to do; a
delivery after a crash takes the row again once the lease runs out. The row
needs `status`, `lease_expires_at`, `deliveries` and `created_at`.

The lease is short (LEASE_SECONDS) and renewed while the task works
(`holding`), so a worker that was SIGKILLed loses its claims within a minute and
the sweeper or a redelivery takes them over, instead of waiting out the task's
time limit. A transient failure keeps the row held until its retry is due
(`hold_for_retry`): nothing looks abandoned while a retry waits, and if the retry
message is lost the sweeper finds the row once that lease runs out. Retries are
logged in the row (`retry_log`), so `crash_deliveries` tells deliveries that
ended with a dead worker from those that ended in a retry.

`debrief serve` knows even better: on the
embedded broker its worker is the only consumer, so when it starts a worker,
every claim still held belongs to a worker that died. It calls
`release_orphaned_claims()`, and each app that claims rows registers (in its
AppConfig.ready) how to give all of its claims up. Apps depend on this module,
never the other way round."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connections, models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)

# A claim lasts this long unless its holder renews it; renewed every
# LEASE_RENEW_SECONDS while the task works, so three renewals in a row can fail
# (a database blip) before another worker may take the row.
LEASE_SECONDS = 60
LEASE_RENEW_SECONDS = 15
# Deliveries of one row that ended with the worker gone (crashes, hard time
# limits) before its work is failed; deliveries that ended in a retry do not count.
MAX_DELIVERIES = 5


@dataclass(frozen=True)
class LeasedWork:
    model: type[models.Model]
    waiting: str  # status of work no delivery has taken yet
    working: str  # status of work a delivery holds
    scope: dict[str, Any] = field(default_factory=dict)  # which rows of the model are work

    def claim(self, pk, **also: Any) -> bool:
        """Take the row for this delivery (setting `also` with it); False when another
        holds it or it is finished."""
        now = timezone.now()
        lease = now + timedelta(seconds=LEASE_SECONDS)
        lease_over = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lte=now)
        claimable = Q(status=self.waiting) | (Q(status=self.working) & lease_over)
        rows = self.model.objects.filter(claimable, pk=pk, **self.scope)
        return rows.update(status=self.working, lease_expires_at=lease, deliveries=F("deliveries") + 1, **also) == 1

    @contextmanager
    def holding(self, pk) -> Iterator[None]:
        """Renew the claim on `pk` from a background thread while the block runs:
        a long provider call keeps the row, a dead worker loses it within
        LEASE_SECONDS."""
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew_until, args=(pk, stop), name=f"lease-{pk}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join(timeout=LEASE_RENEW_SECONDS)

    def _renew_until(self, pk, stop: threading.Event) -> None:
        try:
            while not stop.wait(LEASE_RENEW_SECONDS):
                try:
                    self.renew(pk)
                except Exception:  # the next renewal may succeed; the lease has room for two misses
                    log.warning("could not renew the claim on %s %s", self.model.__name__, pk, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    def renew(self, pk) -> bool:
        """Push a held claim's lease out by LEASE_SECONDS; False when it is no longer held."""
        now = timezone.now()
        held = self.model.objects.filter(pk=pk, status=self.working, lease_expires_at__gt=now, **self.scope)
        return held.update(lease_expires_at=now + timedelta(seconds=LEASE_SECONDS)) == 1

    def hold_for_retry(self, row, delay: float, entry: dict, **fields: Any) -> None:
        """Keep `row` held until its retry is due in `delay` seconds (the retry's
        delivery finds the lease over and claims it), logging why in its
        `retry_log`; `fields` (a detail for the page) are saved with it."""
        row.retry_log = [*row.retry_log, entry]
        row.lease_expires_at = timezone.now() + timedelta(seconds=delay)
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=["retry_log", "lease_expires_at", *fields])

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
        # A NULL lease is held by nobody (rows from before leases were kept while a retry waits).
        abandoned = Q(status=self.working) & (Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True))
        return list(self.model.objects.filter(lost | abandoned, **self.scope).values_list("pk", flat=True))

    def release_all(self) -> int:
        """Expire every live lease (their worker is gone); returns how many."""
        expired = timezone.now() - timedelta(seconds=1)
        held = self.model.objects.filter(status=self.working, lease_expires_at__gt=expired, **self.scope)
        return held.update(lease_expires_at=expired)


def crash_deliveries(row) -> int:
    """Deliveries of `row`, this one included, that did not end in a planned retry."""
    return row.deliveries - len(row.retry_log)


def gave_up_after_crashes(row, last_step: str) -> str | None:
    """The failure message when `row` has been taken over too often, else None."""
    if crash_deliveries(row) <= MAX_DELIVERIES:
        return None
    where = f" (the last step reached: {last_step})" if last_step else ""
    return (
        f"Gave up after {MAX_DELIVERIES} attempts: the worker stopped mid-way each time{where}. "
        "A worker is killed when it runs out of memory or passes the task's time limit; its log says which."
    )


# kind -> dotted path of a function that expires every live claim of that kind and
# returns how many. A path, not the function: importing the work modules at start-up
# would slow down every `debrief` command.
_releasers: dict[str, str] = {}


def register(kind: str, release_all_path: str) -> None:
    _releasers[kind] = release_all_path


def release_orphaned_claims() -> dict[str, int]:
    """Expire every live claim and send every waiting row again; only for when no
    worker is running. Returns the rows sent per kind, for the log."""
    return {kind: import_string(path)() for kind, path in _releasers.items()}
