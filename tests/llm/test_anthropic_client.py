"""The Anthropic path of the client against a fake Messages API that accepts only
today's field names: structured output through `output_config.format`, the
tool-use fallback for models without it, and the provider's own response ids."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from analysis.engine.analyzer import build_prompt, call_and_validate
from analysis.llm.client import call_model
from analysis.registry import Registry, RegistryConfig
from analysis.report.prompt import REPORT_FORMAT
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from tests.llm.model_infos import openai_model
from tests.llm.run_inputs import run_input


def anthropic_model(fake, name: str = "anthropic/claude-sonnet-4-5"):
    env = {"ANTHROPIC_API_KEY": "ak-test", "ANTHROPIC_BASE_URL": fake.base_url.removesuffix("/v1")}
    return Registry.build(RegistryConfig(env=env, allowlist=(name,))).get(name)


def test_structured_output_is_asked_for_with_todays_output_config(fake_openai):
    reply = call_model(anthropic_model(fake_openai), instructions="Report.", input_items=[{"role": "user", "content": "run"}],
                       json_schema=REPORT_FORMAT, api_key="ak-test", timeout=30)

    [request] = fake_openai.requests_to("messages")
    assert request.body["output_config"] == {"format": {"type": "json_schema", "schema": REPORT_FORMAT["schema"]}}
    assert "output_format" not in request.body and "response_format" not in request.body
    assert json.loads(reply.text) == DEFAULT_ANALYSIS_REPORT
    assert reply.response_id == "req_" + request.reply["id"].removeprefix("msg_")  # the request-id header
    assert reply.usage.input_tokens == request.reply["usage"]["input_tokens"]


def test_a_model_without_structured_outputs_gets_the_report_through_a_forced_tool(fake_openai):
    model = replace(anthropic_model(fake_openai), litellm_model="anthropic/claude-3-haiku-20240307")

    outcome = call_and_validate(model, build_prompt(run_input(500)), api_key="ak-test", timeout=30)

    [request] = fake_openai.requests_to("messages")
    assert request.body["tool_choice"] == {"type": "tool", "name": REPORT_FORMAT["name"]}
    assert "output_config" not in request.body
    assert outcome.report["verdict"] == DEFAULT_ANALYSIS_REPORT["verdict"]


def test_the_fake_refuses_the_retired_output_format_alias_like_the_api(fake_openai):
    import urllib.error
    import urllib.request

    body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [], "output_format": {"type": "json_schema"}}
    request = urllib.request.Request(f"{fake_openai.base_url}/messages", data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400 and b"output_format: Extra inputs are not permitted" in refused.value.read()


def test_the_stored_response_id_is_the_providers_not_litellms_wrapper(fake_openai):
    reply = call_model(openai_model(fake_openai), instructions="Report.", input_items=[{"role": "user", "content": "run"}],
                       json_schema=REPORT_FORMAT, api_key="sk-test", timeout=30)

    [request] = fake_openai.requests_to("responses")
    assert reply.response_id == request.reply["id"] and reply.response_id.startswith("resp_")
    assert reply.raw["id"] != reply.response_id  # litellm's base64 wrapper stays in the raw reply only
