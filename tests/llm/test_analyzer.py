"""analyze(): the prompt, the validated report, the one retry on a malformed reply."""

from __future__ import annotations

import json

import pytest

from analysis.engine.analyzer import (
    INSTRUCTIONS,
    REPORT_SCHEMA,
    MalformedReply,
    ReportInvalid,
    analyze,
    build_prompt,
    validate_report,
)
from analysis.compression import CompressionSettings, InMemoryCompactionSupport
from tests.fakeopenai import Reply
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from tests.llm.model_infos import custom_chat_model, openai_model
from tests.llm.run_inputs import FACTS, run_input

SMALL_RUN = run_input(600)


def run(model, analysis_input=SMALL_RUN, **changes):
    settings = CompressionSettings(memory=InMemoryCompactionSupport())
    return analyze(model, analysis_input, **{"api_key": "sk-test", "timeout": 10, "compression": settings, **changes})


@pytest.mark.parametrize("model_for,endpoint", [(openai_model, "responses"), (custom_chat_model, "chat")])
def test_a_run_that_fits_is_analysed_in_one_call(fake_openai, model_for, endpoint):
    model = model_for(fake_openai)

    outcome = run(model)

    [request] = fake_openai.requests()
    assert request.endpoint == endpoint
    assert outcome.verdict == DEFAULT_ANALYSIS_REPORT["verdict"]
    assert outcome.report_markdown == DEFAULT_ANALYSIS_REPORT["report_markdown"]
    assert [finding.evidence for finding in outcome.findings] == [["agent1.1", "agent2.1", "agent_b"]]
    assert outcome.answered_by == model.name
    assert [call.purpose for call in outcome.calls] == ["analyze"]
    assert outcome.compression.applied == "none"
    assert outcome.totals.cost_usd == outcome.calls[0].cost_usd > 0


def test_the_prompt_carries_the_raw_material_and_the_digest_verbatim(fake_openai):
    run(openai_model(fake_openai))

    [request] = fake_openai.requests()
    assert request.body["instructions"] == INSTRUCTIONS
    material, digest = request.body["input"]
    assert SMALL_RUN.raw_text() in material["content"]
    assert FACTS in digest["content"]


def test_the_instructions_cover_massgens_analysis_checklist():
    for topic in (
        "Correctness of the final answer",
        "Efficiency and bottlenecks",
        "Repeated commands",
        "Duplicated work between agents",
        "voting",
        "cache hit rate",
        "Errors",
        "Reasoning quality",
        "Tool reliability",
        "Enforcement retries",
        "two or more retries in one round",
        "5,000 characters",
        "Answer quality across rounds",
        "return on each extra round",
        "Model allocation",
    ):
        assert topic in INSTRUCTIONS


def test_the_report_schema_is_strict():
    assert REPORT_SCHEMA["additionalProperties"] is False
    assert set(REPORT_SCHEMA["required"]) == set(REPORT_SCHEMA["properties"])
    finding = REPORT_SCHEMA["properties"]["findings"]["items"]
    assert finding["additionalProperties"] is False
    assert set(finding["required"]) == set(finding["properties"])


def test_a_malformed_reply_is_retried_once_with_the_validation_error(fake_openai):
    malformed = '{"verdict": "meh", "report_markdown": "", "findings": []}'
    fake_openai.script("responses", Reply(text=malformed))

    outcome = run(openai_model(fake_openai))

    first, retry = fake_openai.requests()
    correction = retry.body["input"][len(first.body["input"]) :]
    assert correction[0] == {"role": "assistant", "content": malformed}
    assert '$.verdict is "meh", which is not one of "pass", "warn", "fail"' in correction[1]["content"]
    assert [call.purpose for call in outcome.calls] == ["analyze", "retry"]
    assert outcome.verdict == "warn"


def test_a_second_malformed_reply_raises_and_keeps_the_raw_text(fake_openai):
    fake_openai.script("chat", Reply(text="Sure! Here is my analysis"), Reply(text='{"verdict": "pass"'))

    with pytest.raises(MalformedReply) as raised:
        run(custom_chat_model(fake_openai))

    assert raised.value.raw_reply == '{"verdict": "pass"'
    assert "not valid JSON" in raised.value.error
    assert [call.purpose for call in raised.value.calls] == ["analyze", "retry"]
    assert len(fake_openai.requests()) == 2


def test_a_provider_context_length_error_makes_the_analysis_compress_and_try_again(fake_openai):
    too_long = Reply.error(400, "This model's maximum context length is 1000 tokens.", code="context_length_exceeded")
    fake_openai.script("responses", too_long)

    outcome = run(openai_model(fake_openai))

    purposes = [request.endpoint for request in fake_openai.requests()]
    assert purposes[0] == "responses" and purposes[-1] == "responses" and len(purposes) > 2
    assert outcome.compression.applied == "summarize"
    assert [call.purpose for call in outcome.calls][-1] == "analyze"


def test_stages_are_reported_as_they_happen(fake_openai):
    stages = []
    fake_openai.script("responses", Reply(text="{}"))

    run(openai_model(fake_openai), on_stage=lambda purpose, detail: stages.append(purpose))

    assert stages == ["analyze", "retry"]


def test_every_call_is_handed_to_on_call_as_soon_as_it_returns(fake_openai):
    recorded = []

    outcome = run(openai_model(fake_openai), on_call=recorded.append)

    assert recorded == outcome.calls


def test_build_prompt_puts_compressed_material_before_the_digest():
    from analysis.compression import CompressionRecord, CompressionResult

    material = [{"role": "user", "content": "summaries"}]
    compressed = CompressionResult(material, {}, CompressionRecord("auto", "summarize", 10, 5, 8))

    prompt = build_prompt(SMALL_RUN, compressed)

    assert prompt.items[0] == material[0]
    assert FACTS in prompt.items[1]["content"]


@pytest.mark.parametrize(
    "reply,message",
    [
        ("", "the reply is empty"),
        ("[]", "$ should be an object, not an array"),
        ('{"verdict": "pass", "report_markdown": "x"}', '$ is missing "findings"'),
        ('{"verdict": "pass", "report_markdown": "x", "findings": [], "score": 3}', '$ has unexpected "score"'),
        (
            '{"verdict": "pass", "report_markdown": 3, "findings": []}',
            "$.report_markdown should be a string, not a number",
        ),
        (
            '{"verdict": "pass", "report_markdown": "x", "findings": [{"category": "cost", "severity": "high", '
            '"title": "t", "evidence": [], "recommendation": "r"}]}',
            '$.findings[0].severity is "high", which is not one of "info", "warning", "critical"',
        ),
        (
            '{"verdict": "pass", "report_markdown": "x", "findings": [{"category": "cost", "severity": "info", '
            '"title": "t", "evidence": [1], "recommendation": "r"}]}',
            "$.findings[0].evidence[0] should be a string, not a number",
        ),
        ('{"verdict": "pass",', "the reply is not valid JSON (Expecting property name enclosed in double quotes"),
    ],
)
def test_validation_errors_say_where_and_what(reply, message):
    with pytest.raises(ReportInvalid) as raised:
        validate_report(reply)

    assert str(raised.value).startswith(message)


def test_a_report_in_a_markdown_fence_is_accepted():
    fenced = "```json\n" + json.dumps(DEFAULT_ANALYSIS_REPORT) + "\n```"

    assert validate_report(fenced) == DEFAULT_ANALYSIS_REPORT
