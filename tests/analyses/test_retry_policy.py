"""Which errors are retried, and when."""

from __future__ import annotations

from analysis.llm.errors import TRANSIENT_ERRORS, PermanentLLMError, TransientLLMError
from webapp.core.task_options import BACKOFF_CAP_SECONDS, retry_delay


def test_the_providers_retry_after_is_honoured():
    assert retry_delay(TransientLLMError("429", status_code=429, retry_after=7), retries=3) == 7


def test_without_retry_after_the_wait_doubles_up_to_the_cap():
    error = TransientLLMError("503", status_code=503)
    assert [retry_delay(error, retries) for retries in range(6)] == [5, 10, 20, 40, 80, BACKOFF_CAP_SECONDS]


def test_a_retry_after_past_the_cap_is_cut_to_the_cap():
    assert retry_delay(TransientLLMError("429", retry_after=BACKOFF_CAP_SECONDS + 1), 0) == BACKOFF_CAP_SECONDS
    assert retry_delay(TransientLLMError("429", retry_after=BACKOFF_CAP_SECONDS), 0) == BACKOFF_CAP_SECONDS


def test_only_transient_errors_are_retried():
    assert issubclass(TransientLLMError, TRANSIENT_ERRORS)
    assert not issubclass(PermanentLLMError, TRANSIENT_ERRORS)
