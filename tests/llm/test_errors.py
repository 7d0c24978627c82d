"""Failures are classified into what the task layer does with them."""

from __future__ import annotations

import email.utils
import socket

import pytest

from analysis.llm.client import call_model
from analysis.llm.errors import (
    TRANSIENT_ERRORS,
    ContextLengthExceeded,
    PermanentLLMError,
    TransientLLMError,
    UnreadableReply,
    retry_after_seconds,
)
from tests.fakeopenai import Reply
from tests.llm.model_infos import custom_chat_model, openai_model

BOTH_APIS = pytest.mark.parametrize("model_for,endpoint", [(openai_model, "responses"), (custom_chat_model, "chat")])


def call(model, timeout: float = 10):
    return call_model(
        model,
        instructions="Review.",
        input_items=[{"role": "user", "content": "hi"}],
        json_schema=None,
        api_key="sk-test",
        timeout=timeout,
    )


@BOTH_APIS
def test_429_is_transient_and_carries_retry_after(fake_openai, model_for, endpoint):
    fake_openai.script(endpoint, Reply.rate_limited(retry_after_seconds=17))

    with pytest.raises(TransientLLMError) as raised:
        call(model_for(fake_openai))

    assert raised.value.status_code == 429
    assert raised.value.retry_after == 17


@BOTH_APIS
def test_500_is_transient(fake_openai, model_for, endpoint):
    fake_openai.script(endpoint, Reply(status=500))

    with pytest.raises(TransientLLMError) as raised:
        call(model_for(fake_openai))

    assert raised.value.status_code == 500
    assert raised.value.retry_after is None


@BOTH_APIS
@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_permanent(fake_openai, model_for, endpoint, status):
    fake_openai.script(endpoint, Reply.error(status, "no"))

    with pytest.raises(PermanentLLMError) as raised:
        call(model_for(fake_openai))

    assert raised.value.status_code == status
    assert not isinstance(raised.value, TRANSIENT_ERRORS)


@BOTH_APIS
def test_context_length_is_permanent_and_recognisable(fake_openai, model_for, endpoint):
    too_long = Reply.error(400, "This model's maximum context length is 8192 tokens.", code="context_length_exceeded")
    fake_openai.script(endpoint, too_long)

    with pytest.raises(ContextLengthExceeded):
        call(model_for(fake_openai))


@BOTH_APIS
def test_a_time_out_is_transient_and_probably_billed(fake_openai, model_for, endpoint):
    fake_openai.script(endpoint, Reply(delay=2))

    with pytest.raises(UnreadableReply, match="^no reply within the time-out"):
        call(model_for(fake_openai), timeout=0.5)


@BOTH_APIS
def test_a_refused_connection_is_transient(fake_openai, model_for, endpoint):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    model = model_for(fake_openai, api_base=f"http://127.0.0.1:{port}/v1")

    with pytest.raises(TransientLLMError):
        call(model)


@BOTH_APIS
@pytest.mark.parametrize("body", ['{"id": "resp_1", "outp', "", "not json"], ids=["cut off", "empty", "not json"])
def test_a_2xx_body_that_cannot_be_read_is_transient_and_probably_billed(fake_openai, model_for, endpoint, body):
    fake_openai.script(endpoint, Reply(raw_body=body))

    with pytest.raises(UnreadableReply, match="^answered 200 with a reply that could not be read") as raised:
        call(model_for(fake_openai))
    assert raised.value.status_code == 200 and "resp_1" not in str(raised.value)


def test_transient_errors_is_the_tuple_celery_retries_on():
    assert TRANSIENT_ERRORS == (TransientLLMError,)
    assert not issubclass(PermanentLLMError, TRANSIENT_ERRORS)


def test_retry_after_reads_seconds_milliseconds_and_http_dates():
    now = 1_700_000_000.0
    in_a_minute = email.utils.formatdate(now + 60, usegmt=True)

    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"Retry-After": in_a_minute}, now=now) == 60
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None
