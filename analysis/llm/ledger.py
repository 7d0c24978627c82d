"""Spend kept as the provider bills it, for every call Debrief makes: the analysis
call, a follow-up answer, and each compaction or summary call compression makes.

A call is told to a `SpendLedger` in the order it happens:

1. `call_started(estimate, phase)` before it is sent, with what it will cost
   (its input counted, its output guessed as the cost preview guesses it). A
   worker that dies while the call is out leaves it there: whoever takes the work
   next counts it at that estimate, since the provider most likely answered, and
   billed, a reply nobody read.
2. then exactly one of
   - `record_call(call, phase, text)`: it came back and its usage was read (the real cost);
   - `call_refused(phase)`: the provider answered with an error, which it does not bill;
   - `call_unconfirmed(estimate, phase, reason)`: probably billed, usage never read
     (a 2xx whose body could not be parsed, or no reply within the time-out):
     counted at its estimate.

`metered` is the one place that walks a call through these steps. The web layer
keeps the ledger in the row of the work (an analysis, an answer); everything else
in memory (`MemoryLedger`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from analysis.llm.calls import CallRecord
from analysis.llm.errors import LLMError, UnreadableReply

T = TypeVar("T")


class SpendLedger(Protocol):
    def call_started(self, estimate: CallRecord, phase: str) -> None: ...

    def record_call(self, call: CallRecord, phase: str, text: str | None = None) -> None: ...

    def call_refused(self, phase: str) -> None: ...

    def call_unconfirmed(self, estimate: CallRecord, phase: str, reason: str) -> None: ...


def metered(ledger: SpendLedger, estimate: CallRecord, phase: str, send: Callable[[], T]) -> T:
    """`send()` with its estimate in flight. The caller records the reply it returns
    (`ledger.record_call`) once it has read its usage. Anything but a provider
    error (a time limit, a bug) leaves the call in flight: it may have been billed,
    and the ledger's keeper counts it when the work ends or is taken over."""
    ledger.call_started(estimate, phase)
    try:
        return send()
    except UnreadableReply as error:
        ledger.call_unconfirmed(estimate, phase, str(error))
        raise
    except LLMError:
        ledger.call_refused(phase)
        raise


class MemoryLedger:
    """A ledger that lives as long as the process: the CLI, benchmarks, tests."""

    def __init__(self, on_call: Callable[[CallRecord], None] | None = None) -> None:
        self.calls: list[CallRecord] = []  # confirmed, in order
        self.unconfirmed: list[CallRecord] = []  # probably billed, counted at their estimate
        self.in_flight: CallRecord | None = None
        self._on_call = on_call

    def call_started(self, estimate: CallRecord, phase: str) -> None:
        self.in_flight = estimate

    def record_call(self, call: CallRecord, phase: str, text: str | None = None) -> None:
        self.in_flight = None
        self.calls.append(call)
        if self._on_call:
            self._on_call(call)

    def call_refused(self, phase: str) -> None:
        self.in_flight = None

    def call_unconfirmed(self, estimate: CallRecord, phase: str, reason: str) -> None:
        self.in_flight = None
        self.unconfirmed.append(estimate)
