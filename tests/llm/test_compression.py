"""Compression: when it happens, how native compaction and summaries are sent,
the fallbacks, and an honest plan."""

from __future__ import annotations

import json

import pytest

from analysis.engine.analyzer import analyze, build_prompt, call_and_validate
from analysis.compression import (
    CompressionResult,
    CompressionSettings,
    DoesNotFit,
    InMemoryCompactionSupport,
    compress,
    plan_compression,
)
from analysis.llm.budget import input_budget
from analysis.llm.errors import TransientLLMError
from analysis.llm.runners import COMPACTION_OUTPUT_RATIO, SUMMARY_OUTPUT_RATIO
from analysis.llm.usage import Usage, cost_usd
from tests.fakeopenai import Reply
from tests.fakeopenai.endpoints import COMPACT_ALLOWED_PARAMETERS
from tests.llm.model_infos import openai_model, tiny_model
from tests.llm.run_inputs import FACTS, run_input

LARGE_RUN = run_input(10_000)  # about twice what the tiny model takes
HUGE_RUN = run_input(40_000)  # enough summaries that they must be merged


def settings(memory=None, **changes) -> CompressionSettings:
    return CompressionSettings(memory=memory or InMemoryCompactionSupport(), **changes)


def run(model, analysis_input=LARGE_RUN, compression=None, **changes):
    return analyze(
        model, analysis_input, api_key="sk-test", timeout=10, compression=compression or settings(), **changes
    )


def strings_in(value) -> str:
    """Every string in a JSON value, joined: what a request says, wherever it says it."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    return "\n".join(strings_in(item) for item in value) if isinstance(value, list) else ""


def endpoints(fake) -> list[str]:
    return [request.endpoint for request in fake.requests()]


def final_request(fake):
    return [request for request in fake.requests() if request.endpoint in ("responses", "chat")][-1]


def test_a_run_larger_than_a_small_native_model_is_compacted_before_the_analysis(fake_openai):
    model = tiny_model(fake_openai, native=True)

    outcome = run(model)

    assert endpoints(fake_openai)[-1] == "responses"
    assert set(endpoints(fake_openai)[:-1]) == {"compact"}
    record = outcome.compression
    assert (record.requested, record.applied, record.fallback_reason) == ("auto", "native", None)
    assert record.tokens_before > input_budget(model) >= record.tokens_after
    assert [call.purpose for call in outcome.calls] == ["compact"] * len(record.calls) + ["analyze"]
    for request in fake_openai.requests():
        assert request.reply_status == 200  # every request fitted the model's window


def test_the_compact_request_carries_only_parameters_the_endpoint_accepts(fake_openai):
    run(tiny_model(fake_openai, native=True))

    for request in fake_openai.requests_to("compact"):
        assert {"model", "input"} <= set(request.body) <= COMPACT_ALLOWED_PARAMETERS
        assert request.body["model"] == "tiny-model"
        assert request.authorization == "Bearer sk-test"


def test_each_compaction_step_carries_the_previous_window_and_new_raw_material(fake_openai):
    run(tiny_model(fake_openai, native=True))

    first, *later = fake_openai.requests_to("compact")
    assert [item.get("role") for item in first.body["input"]] == ["user", "assistant"]
    previous = first
    for request in later:
        assert request.body["input"][:-1] == previous.reply["output"]
        assert request.body["input"][-1]["role"] == "assistant"
        previous = request


def test_the_analysis_request_carries_the_compacted_window_byte_for_byte(fake_openai):
    run(tiny_model(fake_openai, native=True))

    window = fake_openai.requests_to("compact")[-1].reply["output"]
    compaction_item = json.dumps(window[-1], separators=(",", ":")).encode()
    analysis = final_request(fake_openai)
    assert compaction_item in fake_openai.requests_to("compact")[-1].reply_raw
    assert compaction_item in analysis.raw
    assert analysis.body["input"][: len(window)] == window
    assert FACTS in analysis.body["input"][-1]["content"]


@pytest.mark.parametrize("status", [400, 404])
def test_a_refused_compaction_falls_back_to_summaries_and_is_remembered(fake_openai, status):
    model = tiny_model(fake_openai, native=True)
    fake_openai.fail_compact("tiny-model", status)
    memory = InMemoryCompactionSupport()

    first = run(model, compression=settings(memory))
    compact_calls_after_first = len(fake_openai.requests_to("compact"))
    second = run(model, compression=settings(memory))

    assert compact_calls_after_first == 1
    assert len(fake_openai.requests_to("compact")) == 1  # none the second time
    assert first.compression.applied == second.compression.applied == "summarize"
    assert f"answered {status}" in first.compression.fallback_reason
    assert "known to be unsupported" in second.compression.fallback_reason
    assert memory.unsupported_reason(model) is not None


@pytest.mark.parametrize("failure", [Reply(status=500), Reply(status=503), Reply(delay=2)])
def test_a_compaction_that_fails_for_now_falls_back_without_being_remembered(fake_openai, failure):
    model = tiny_model(fake_openai, native=True)
    fake_openai.script("compact", failure)
    memory = InMemoryCompactionSupport()

    outcome = analyze(model, LARGE_RUN, api_key="sk-test", timeout=1, compression=settings(memory))

    assert outcome.compression.applied == "summarize"
    assert "compaction failed for now" in outcome.compression.fallback_reason
    assert memory.unsupported_reason(model) is None


def test_a_rate_limited_compaction_is_left_to_the_task_to_retry(fake_openai):
    fake_openai.script("compact", Reply.rate_limited(retry_after_seconds=30))

    with pytest.raises(TransientLLMError) as raised:
        run(tiny_model(fake_openai, native=True))

    assert raised.value.retry_after == 30
    assert endpoints(fake_openai) == ["compact"]


def test_a_rate_limited_compaction_on_the_last_attempt_falls_back_to_summaries(fake_openai):
    fake_openai.script("compact", Reply.rate_limited(retry_after_seconds=30))

    outcome = run(tiny_model(fake_openai, native=True), compression=settings(fallback_on_rate_limit=True))

    assert outcome.compression.applied == "summarize"


def test_a_model_without_native_support_never_calls_compact(fake_openai):
    outcome = run(tiny_model(fake_openai, native=False))

    assert "compact" not in endpoints(fake_openai)
    assert outcome.compression.applied == "summarize"
    assert outcome.compression.fallback_reason is None  # summarising is the plan, not a fallback


def test_a_chat_model_never_calls_compact_even_when_native_is_asked_for(fake_openai):
    outcome = run(tiny_model(fake_openai, native=True, api="chat"), compression=settings(strategy="native"))

    assert "compact" not in endpoints(fake_openai)
    assert set(endpoints(fake_openai)) == {"chat"}
    assert "chat completions" in outcome.compression.fallback_reason


def test_off_refuses_with_the_numbers(fake_openai):
    model = tiny_model(fake_openai, native=True)

    with pytest.raises(DoesNotFit) as raised:
        run(model, compression=settings(strategy="off"))

    assert raised.value.budget == input_budget(model) == 4_700
    assert raised.value.input_tokens > 4_700
    assert f"{raised.value.input_tokens:,} input tokens" in str(raised.value)
    assert "context window 6,000" in str(raised.value)
    assert fake_openai.requests() == []


@pytest.mark.parametrize("strategy", ["auto", "native", "summarize", "off"])
def test_a_digest_too_large_for_the_model_is_refused_in_every_strategy(fake_openai, strategy):
    model = tiny_model(fake_openai, native=True)

    with pytest.raises(DoesNotFit, match="The digest alone"):
        run(model, run_input(100, facts=FACTS * 300), compression=settings(strategy=strategy))

    assert fake_openai.requests() == []


@pytest.mark.parametrize(
    "analysis_input,strategy,applied",
    [(run_input(500), "auto", "none"), (LARGE_RUN, "native", "native"), (LARGE_RUN, "summarize", "summarize")],
)
def test_the_digest_is_sent_verbatim_in_the_final_call_in_every_strategy(
    fake_openai, analysis_input, strategy, applied
):
    outcome = run(tiny_model(fake_openai, native=True), analysis_input, compression=settings(strategy=strategy))

    assert outcome.compression.applied == applied
    assert FACTS in final_request(fake_openai).body["input"][-1]["content"]
    assert [FACTS in strings_in(request.body) for request in fake_openai.requests()][-1:] == [True]
    assert sum(FACTS in strings_in(request.body) for request in fake_openai.requests()) == 1


def test_summaries_are_asked_to_keep_labels_and_each_chunk_keeps_its_section_keys(fake_openai):
    run(tiny_model(fake_openai, native=False))

    summaries = [request for request in fake_openai.requests() if request.endpoint == "responses"][:-1]
    assert len(summaries) >= 2
    for request in summaries:
        assert "agent1.2" in request.body["instructions"] and "agent ids" in request.body["instructions"]
        assert "[trace:agent_" in request.body["input"][0]["content"]
    sent = final_request(fake_openai).body["input"][0]["content"]
    for key in ("[trace:agent_a]", "[trace:agent_b]", "[trace:agent_c]"):
        assert key in sent


def test_a_cheaper_summariser_writes_the_summaries(fake_openai):
    model = tiny_model(fake_openai, native=False)
    summariser = openai_model(fake_openai, name="gpt-5-nano", litellm_model="openai/gpt-5-nano")

    outcome = run(model, compression=settings(summariser=summariser))

    summary_requests = [request for request in fake_openai.requests() if request.body["model"] == "gpt-5-nano"]
    assert len(summary_requests) == len(outcome.compression.calls) >= 1  # gpt-5-nano's window takes the run whole
    assert {call.model for call in outcome.compression.calls} == {"gpt-5-nano"}
    assert final_request(fake_openai).body["model"] == "tiny-model"


def test_summaries_that_do_not_fit_are_merged_until_they_do(fake_openai):
    model = tiny_model(fake_openai, native=False)

    outcome = run(model, HUGE_RUN)

    summary_requests = [request for request in fake_openai.requests() if request.endpoint == "responses"][:-1]
    merges = [request for request in summary_requests if request.body["instructions"].startswith("Merge")]
    assert merges
    assert outcome.compression.tokens_after <= input_budget(model)


def billed(fake, models) -> list[tuple[int, int, float]]:
    """(input tokens, output tokens, cost) of every compression request, from the fake's replies."""
    rows = []
    for request in fake.requests()[:-1]:
        usage = Usage.from_api(request.reply["usage"])
        rows.append((usage.input_tokens, usage.output_tokens, cost_usd(models[request.body["model"]], usage)))
    return rows


@pytest.mark.parametrize(
    "analysis_input,strategy,native",
    [(LARGE_RUN, "auto", True), (LARGE_RUN, "auto", False), (HUGE_RUN, "summarize", False)],
    ids=["native", "summaries", "summaries-merged"],
)
def test_the_plan_prices_compression_exactly_as_the_fake_server_bills_it(fake_openai, analysis_input, strategy, native):
    # Given a model whose outputs are as long as the plan assumes, every figure must agree.
    fake_openai.configure(text_output_ratio=SUMMARY_OUTPUT_RATIO, compaction_ratio=COMPACTION_OUTPUT_RATIO)
    model = tiny_model(fake_openai, native=native)

    plan = plan_compression(model, analysis_input, strategy, memory=InMemoryCompactionSupport())
    outcome = run(model, analysis_input, compression=settings(strategy=strategy))

    bills = billed(fake_openai, {model.name: model})
    assert plan.strategy == outcome.compression.applied
    assert [(call.usage.input_tokens, call.usage.output_tokens, call.cost_usd) for call in plan.calls[:-1]] == bills
    assert plan.compression_usd == sum(cost for _, _, cost in bills)
    assert plan.final_call_input_tokens == Usage.from_api(final_request(fake_openai).reply["usage"]).input_tokens
    assert plan.usd == plan.compression_usd + plan.calls[-1].cost_usd


def test_the_plan_for_a_run_that_fits_is_one_analysis_call(fake_openai):
    model = openai_model(fake_openai)

    plan = plan_compression(model, LARGE_RUN)

    assert plan.strategy == "none"
    assert [call.purpose for call in plan.calls] == ["analyze"]
    assert plan.final_call_input_tokens == plan.tokens_before == plan.input_tokens
    assert plan.compression_usd == 0
    assert fake_openai.requests() == []


def test_the_plan_follows_the_remembered_fallback(fake_openai):
    model = tiny_model(fake_openai, native=True)
    memory = InMemoryCompactionSupport()
    memory.remember_unsupported(model, "answered 404")

    plan = plan_compression(model, LARGE_RUN, memory=memory)

    assert plan.strategy == "summarize"
    assert "answered 404" in plan.fallback_reason


def test_off_is_refused_by_the_plan_too(fake_openai):
    with pytest.raises(DoesNotFit):
        plan_compression(tiny_model(fake_openai, native=True), LARGE_RUN, "off")


def test_a_threshold_below_one_compresses_a_run_that_would_fit(fake_openai):
    model = openai_model(fake_openai, context_window=40_000, supports_native_compaction=True)

    kept = plan_compression(model, LARGE_RUN)
    compressed = plan_compression(model, LARGE_RUN, threshold_fraction=0.5)

    assert kept.strategy == "none"
    assert compressed.strategy == "native"


def test_a_compression_result_survives_json_and_resumes_at_the_final_call(fake_openai):
    model = tiny_model(fake_openai, native=True)
    compressed = compress(model, LARGE_RUN, settings(), api_key="sk-test", timeout=10)
    stored = json.loads(json.dumps(compressed.to_dict()))
    calls_before = len(fake_openai.requests())

    resumed = CompressionResult.from_dict(stored)
    report = call_and_validate(model, build_prompt(LARGE_RUN, resumed), api_key="sk-test", timeout=10)

    assert resumed == compressed
    assert endpoints(fake_openai)[calls_before:] == ["responses"]
    assert report.report["verdict"] == "warn"
