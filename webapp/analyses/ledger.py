"""The spend ledger (analysis.llm.ledger) kept in the row of the work that makes
the calls: an analysis, or a follow-up answer. Both rows carry the same spend
columns: what was measured (`calls`, the token counts, `cost_usd`), the call out
now (`call_in_flight`, its estimate) and what was probably billed but never read
(`unconfirmed_calls`, `unconfirmed_usd`, counted at estimates).

A call left in flight is counted when the work is next taken (`settle_in_flight`
at the claim: its worker died waiting for the reply) or when the work ends with
it still out (a time limit cut it off). The row is locked while it is counted,
so a call is counted once however many deliveries race for it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from analysis.llm.calls import CallRecord
from webapp.analyses.models import MONEY_QUANTUM
from webapp.llm import metrics as llm_metrics

IN_FLIGHT_WHEN_WORKER_STOPPED = "in flight when its worker stopped"
REASON_CHARS = 255


class RowLedger:
    """A SpendLedger in `row`; `confirmed_fields` says what else a confirmed call
    changes in it (an analysis keeps its prices and reply text)."""

    def __init__(self, row: models.Model):
        self.row = row

    def call_started(self, estimate: CallRecord, phase: str) -> None:
        save(self.row, call_in_flight=_entry(estimate, phase))

    def call_refused(self, phase: str) -> None:
        save(self.row, call_in_flight=None)

    def call_unconfirmed(self, estimate: CallRecord, phase: str, reason: str) -> None:
        count_unconfirmed(self.row, _entry(estimate, phase), reason)

    def record_call(self, call: CallRecord, phase: str, text: str | None = None) -> None:
        row = self.row
        usage = call.usage
        entry = _entry(call, phase)
        extra = self.confirmed_fields(call, phase, text, entry)
        save(
            row,
            call_in_flight=None,
            calls=[*row.calls, entry],
            input_tokens=row.input_tokens + usage.input_tokens,
            output_tokens=row.output_tokens + usage.output_tokens,
            cached_input_tokens=row.cached_input_tokens + usage.cached_input_tokens,
            reasoning_tokens=row.reasoning_tokens + usage.reasoning_tokens,
            cost_usd=row.cost_usd + money(call.cost_usd),
            **extra,
        )
        llm_metrics.count_call(call.model, llm_metrics.OK, call.cost_usd)

    def confirmed_fields(self, call: CallRecord, phase: str, text: str | None, entry: dict) -> dict[str, Any]:
        return {}


def settle_in_flight(row: models.Model, reason: str = IN_FLIGHT_WHEN_WORKER_STOPPED) -> None:
    """Count the call `row` left in flight, if any, at its estimate: the provider
    most likely answered, and billed, a reply nobody read."""
    with transaction.atomic():
        locked = (
            type(row).objects.select_for_update()
            .only("call_in_flight", "unconfirmed_calls", "unconfirmed_usd")
            .get(pk=row.pk)
        )
        row.unconfirmed_calls, row.unconfirmed_usd = locked.unconfirmed_calls, locked.unconfirmed_usd
        if locked.call_in_flight is None:
            row.call_in_flight = None
            return
        count_unconfirmed(row, locked.call_in_flight, reason)


def count_unconfirmed(row: models.Model, estimate: dict, reason: str) -> None:
    """Count a call the provider probably billed at its estimate, saying why."""
    entry = {**estimate, "estimated": True, "reason": reason[:REASON_CHARS]}
    save(
        row,
        call_in_flight=None,
        unconfirmed_calls=[*row.unconfirmed_calls, entry],
        unconfirmed_usd=row.unconfirmed_usd + money(estimate["cost_usd"]),
    )
    llm_metrics.count_call(estimate.get("model", "unknown"), llm_metrics.UNCONFIRMED, estimate["cost_usd"])


def unconfirmed_json(row: models.Model) -> dict[str, Any]:
    """The `unconfirmed` object of the API: calls counted at their estimate, and why."""
    return {
        "cost_usd": float(row.unconfirmed_usd),
        "calls": [
            {"purpose": call["purpose"], "model": call["model"], "usage": call["usage"], "cost_usd": call["cost_usd"], "reason": call["reason"]}
            for call in row.unconfirmed_calls
        ],
    }


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(MONEY_QUANTUM)


def save(row: models.Model, **fields) -> None:
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=list(fields))


def _entry(call: CallRecord, phase: str) -> dict[str, Any]:
    return {**call.to_dict(), "phase": phase, "at": timezone.now().isoformat()}
