"""The one spend ledger protocol every provider call goes through: started at its
estimate, then confirmed by whoever read its usage, refused (an error reply, not
billed), or unconfirmed (probably billed, never read); anything else leaves it in
flight for the keeper of the work to count."""

from __future__ import annotations

import pytest

from analysis.llm.calls import CallRecord
from analysis.llm.errors import PermanentLLMError, TransientLLMError, UnreadableReply
from analysis.llm.ledger import MemoryLedger, metered
from analysis.llm.usage import Usage

ESTIMATE = CallRecord("summarize", "m", Usage(input_tokens=1_000, output_tokens=200), 0.01)


class Killed(BaseException):
    pass


def fails_with(error: BaseException):
    def send():
        raise error

    return send


def test_a_call_is_in_flight_at_its_estimate_while_it_is_out():
    ledger = MemoryLedger()
    seen = []

    assert metered(ledger, ESTIMATE, "p", lambda: seen.append(ledger.in_flight) or "reply") == "reply"

    assert seen == [ESTIMATE] and ledger.in_flight == ESTIMATE  # until the caller records its usage
    ledger.record_call(ESTIMATE, "p")
    assert ledger.in_flight is None and ledger.calls == [ESTIMATE] and ledger.unconfirmed == []


def test_an_unreadable_reply_is_counted_at_its_estimate():
    ledger = MemoryLedger()

    with pytest.raises(UnreadableReply):
        metered(ledger, ESTIMATE, "p", fails_with(UnreadableReply("answered 200 with a reply that could not be read")))

    assert ledger.unconfirmed == [ESTIMATE] and ledger.in_flight is None and ledger.calls == []


@pytest.mark.parametrize("error", [TransientLLMError("429", status_code=429), PermanentLLMError("401", status_code=401)])
def test_an_error_reply_is_not_counted(error):
    ledger = MemoryLedger()

    with pytest.raises(type(error)):
        metered(ledger, ESTIMATE, "p", fails_with(error))

    assert ledger.unconfirmed == [] and ledger.in_flight is None


def test_a_call_cut_off_by_anything_else_stays_in_flight():
    ledger = MemoryLedger()

    with pytest.raises(Killed):
        metered(ledger, ESTIMATE, "p", fails_with(Killed()))

    assert ledger.in_flight == ESTIMATE and ledger.unconfirmed == []
