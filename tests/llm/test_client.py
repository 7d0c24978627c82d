"""call_model: the right API and schema placement per model, usage and cost, no retries."""

from __future__ import annotations

import pytest

from analysis.llm.litellm_env import get_litellm
from analysis.llm.client import call_model
from analysis.llm.usage import Usage, cost_usd
from analysis.report.prompt import REPORT_FORMAT
from tests.fakeopenai import Reply
from tests.llm.model_infos import custom_chat_model, openai_model

MESSAGES = [{"role": "user", "content": "Analyse the run."}]


def call(model, **changes):
    arguments = dict(
        instructions="You review MassGen runs.",
        input_items=MESSAGES,
        json_schema=REPORT_FORMAT,
        api_key="sk-test",
        timeout=10,
    )
    return call_model(model, **{**arguments, **changes})


def test_an_openai_model_is_called_through_the_responses_api_with_the_schema_in_text_format(fake_openai):
    reply = call(openai_model(fake_openai), max_output_tokens=5_000)

    [request] = fake_openai.requests()
    assert request.path == "/v1/responses"
    assert request.body["model"] == "gpt-5-mini"
    assert request.body["instructions"] == "You review MassGen runs."
    assert request.body["input"] == MESSAGES
    assert request.body["text"] == {"format": {"type": "json_schema", **REPORT_FORMAT}}
    assert request.body["max_output_tokens"] == 5_000
    assert request.body["store"] is False
    assert "response_format" not in request.body
    assert request.authorization == "Bearer sk-test"
    assert reply.text == request.reply["output"][0]["content"][0]["text"]


def test_a_custom_model_is_called_through_chat_completions_with_the_schema_in_response_format(fake_openai):
    reply = call(custom_chat_model(fake_openai))

    [request] = fake_openai.requests()
    assert request.path == "/v1/chat/completions"
    assert request.body["model"] == "local-llama"
    assert request.body["messages"] == [{"role": "system", "content": "You review MassGen runs."}, *MESSAGES]
    assert request.body["response_format"] == {"type": "json_schema", "json_schema": REPORT_FORMAT}
    assert "text" not in request.body
    assert reply.text == request.reply["choices"][0]["message"]["content"]


@pytest.mark.parametrize("model_for,endpoint", [(openai_model, "responses"), (custom_chat_model, "chat")])
def test_usage_is_what_the_provider_reported(fake_openai, model_for, endpoint):
    reply = call(model_for(fake_openai))

    billed = fake_openai.requests()[0].reply["usage"]
    names = ("prompt_tokens", "completion_tokens") if endpoint == "chat" else ("input_tokens", "output_tokens")
    assert (reply.usage.input_tokens, reply.usage.output_tokens) == tuple(billed[name] for name in names)


def test_cost_bills_cached_input_at_the_cached_price_and_reasoning_as_output(fake_openai):
    model = openai_model(fake_openai)
    usage = {
        "input_tokens": 10_000,
        "input_tokens_details": {"cached_tokens": 4_000},
        "output_tokens": 3_000,
        "output_tokens_details": {"reasoning_tokens": 2_000},
    }
    fake_openai.script("responses", Reply(usage=usage))

    reply = call(model)

    assert reply.usage == Usage(
        input_tokens=10_000, output_tokens=3_000, cached_input_tokens=4_000, reasoning_tokens=2_000
    )
    expected = (
        6_000 * model.input_usd_per_token
        + 4_000 * model.cached_input_usd_per_token
        + 3_000 * model.output_usd_per_token
    )
    assert reply.cost_usd == expected


def test_cached_input_costs_the_full_price_when_the_model_has_no_cached_price(fake_openai):
    model = custom_chat_model(fake_openai)

    assert cost_usd(model, Usage(input_tokens=100, cached_input_tokens=40)) == 100 * model.input_usd_per_token


def test_cost_matches_litellms_own_pricing_for_a_known_model(fake_openai):
    model = openai_model(fake_openai)
    usage = Usage(input_tokens=12_345, output_tokens=678)

    input_usd, output_usd = get_litellm().cost_per_token(
        model="gpt-5-mini", prompt_tokens=usage.input_tokens, completion_tokens=usage.output_tokens
    )

    assert cost_usd(model, usage) == pytest.approx(input_usd + output_usd, rel=1e-12)


@pytest.mark.parametrize("model_for,endpoint", [(openai_model, "responses"), (custom_chat_model, "chat")])
def test_a_failing_call_is_sent_once_because_the_task_layer_retries(fake_openai, model_for, endpoint):
    fake_openai.script(endpoint, Reply(status=500), Reply(status=500), Reply(status=500))

    with pytest.raises(Exception):
        call(model_for(fake_openai))

    assert len(fake_openai.requests()) == 1


def test_compaction_items_cannot_be_sent_to_a_chat_model(fake_openai):
    item = {"type": "compaction", "id": "cmp_1", "encrypted_content": "x"}

    with pytest.raises(ValueError, match="chat completions"):
        call(custom_chat_model(fake_openai), input_items=[item])

    assert fake_openai.requests() == []
