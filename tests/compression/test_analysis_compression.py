"""A run larger than its model's window, analysed through the product: the
request, the estimate, the task's steps and the report page."""

from __future__ import annotations

import pytest

from analysis.llm.runners import COMPACTION_OUTPUT_RATIO, SUMMARY_OUTPUT_RATIO
from tests.analyses.support import work
from tests.compression.conftest import (
    CHAT_MODEL,
    CHAT_MODEL_ID,
    CHEAP_INPUT_USD_PER_MTOK,
    CHEAP_OUTPUT_USD_PER_MTOK,
    INPUT_USD_PER_MTOK,
    NATIVE_MODEL,
    NATIVE_MODEL_ID,
    OUTPUT_USD_PER_MTOK,
    SUMMARISER,
    SUMMARISER_ID,
)
from tests.compression.support import analysis_requests, billed_usd, item_bytes
from tests.fakeopenai.endpoints import COMPACT_ALLOWED_PARAMETERS
from webapp.analyses import services
from webapp.llm.models import UnsupportedCompaction

pytestmark = pytest.mark.django_db


def analyse(run, user, model=NATIVE_MODEL, compression="auto"):
    return work(services.do_request_analysis(run, user, model, compression))


def test_a_run_larger_than_a_small_native_model_is_compacted_before_the_analysis(long_run, people, small_models, no_enqueue):
    queued = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto")
    assert queued.estimate["compression"]["strategy"] == "native"  # foreseen before anything is spent

    analysis = work(queued)

    assert analysis.status == "done", analysis.error
    record = analysis.compression_record
    assert (record["requested"], record["applied"], record["fallback_reason"]) == ("auto", "native", None)
    assert record["tokens_before"] > record["budget"] >= record["tokens_after"]
    compactions = small_models.requests_to("compact")
    assert len(compactions) == len(record["calls"]) >= 2
    assert [call["purpose"] for call in analysis.calls] == ["compact"] * len(compactions) + ["analyze"]
    assert all(request.reply_status == 200 for request in small_models.requests())  # every request fitted the window


def test_the_compact_request_carries_the_model_and_input_and_nothing_the_endpoint_refuses(long_run, people, small_models, no_enqueue):
    analyse(long_run, people.alice)

    for request in small_models.requests_to("compact"):
        assert {"model", "input"} <= set(request.body) <= COMPACT_ALLOWED_PARAMETERS
        assert request.body["model"] == NATIVE_MODEL_ID


def test_the_analysis_request_carries_the_compaction_item_byte_for_byte(long_run, people, small_models, no_enqueue):
    analyse(long_run, people.alice)

    window = small_models.requests_to("compact")[-1].reply["output"]
    [final] = analysis_requests(small_models)
    assert item_bytes(window[-1]) in final.raw
    assert final.body["input"][: len(window)] == window
    assert final.body["store"] is False


def test_a_refused_compaction_falls_back_to_summaries_and_the_database_remembers_it(long_run, people, small_models, no_enqueue):
    small_models.fail_compact(NATIVE_MODEL_ID, 400)

    first = analyse(long_run, people.alice)
    compact_calls = len(small_models.requests_to("compact"))
    second = analyse(long_run, people.alice)

    assert first.status == second.status == "done"
    assert compact_calls == 1 and len(small_models.requests_to("compact")) == 1  # none the second time
    assert first.compression_record["applied"] == second.compression_record["applied"] == "summarize"
    assert "answered 400" in first.compression_record["fallback_reason"]
    assert "known to be unsupported" in second.compression_record["fallback_reason"]
    assert UnsupportedCompaction.objects.get(model_name=NATIVE_MODEL).reason


def test_the_estimate_after_a_refusal_plans_summaries_instead_of_compaction(long_run, people, small_models, no_enqueue):
    before = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto")
    small_models.fail_compact(NATIVE_MODEL_ID, 404)
    work(before)

    after = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto")

    assert before.estimate["compression"]["strategy"] == "native"
    assert after.estimate["compression"]["strategy"] == "summarize"
    assert "known to be unsupported" in after.estimate["compression"]["reason"]


@pytest.mark.parametrize("compression", ["auto", "native", "summarize"])
def test_a_model_without_native_compaction_never_calls_the_compact_endpoint(long_run, people, small_models, no_enqueue, compression):
    analysis = analyse(long_run, people.alice, CHAT_MODEL, compression)

    assert analysis.status == "done", analysis.error
    assert small_models.requests_to("compact") == []
    assert analysis.compression_record["applied"] == "summarize"
    assert {request.body["model"] for request in small_models.requests()} == {CHAT_MODEL_ID}


def test_the_estimates_compression_cost_is_what_the_fake_server_bills(long_run, people, small_models, no_enqueue):
    # The fake's outputs take the lengths the plan assumes, so plan and bill can agree exactly.
    small_models.configure(compaction_ratio=COMPACTION_OUTPUT_RATIO, text_output_ratio=SUMMARY_OUTPUT_RATIO)
    queued = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "auto")
    plan = queued.estimate["compression"]

    analysis = work(queued)

    compactions = small_models.requests_to("compact")
    billed = sum(billed_usd(request, INPUT_USD_PER_MTOK, OUTPUT_USD_PER_MTOK) for request in compactions)
    assert plan["compression_usd"] == pytest.approx(billed, rel=1e-9)
    assert [call["input_tokens"] for call in plan["calls"]] == [r.reply["usage"]["input_tokens"] for r in compactions]
    [final] = analysis_requests(small_models)
    assert plan["final_input_tokens"] == final.reply["usage"]["input_tokens"] == analysis.compression_record["tokens_after"]


def test_summaries_are_written_by_the_configured_summariser(long_run, people, small_models, no_enqueue, settings):
    settings.DEBRIEF_SUMMARISER_MODEL = SUMMARISER
    small_models.configure(text_output_ratio=SUMMARY_OUTPUT_RATIO)
    queued = services.do_request_analysis(long_run, people.alice, NATIVE_MODEL, "summarize")

    analysis = work(queued)

    summaries = [request for request in small_models.requests() if request not in analysis_requests(small_models)]
    assert summaries and {request.body["model"] for request in summaries} == {SUMMARISER_ID}
    assert {call["model"] for call in analysis.compression_record["calls"]} == {SUMMARISER}
    billed = sum(billed_usd(request, CHEAP_INPUT_USD_PER_MTOK, CHEAP_OUTPUT_USD_PER_MTOK) for request in summaries)
    assert queued.estimate["compression"]["compression_usd"] == pytest.approx(billed, rel=1e-9)


def test_a_lower_threshold_compresses_a_run_that_would_fit(short_run, people, small_models, no_enqueue, settings):
    settings.DEBRIEF_COMPRESSION_THRESHOLD = 0.4
    queued = services.do_request_analysis(short_run, people.alice, NATIVE_MODEL, "auto")
    assert queued.estimate["fits_context"] and queued.estimate["compression"]["strategy"] == "native"

    analysis = work(queued)

    assert analysis.compression_record["applied"] == "native"
    assert analysis.compression_record["tokens_before"] <= analysis.compression_record["budget"]


def test_off_sends_a_run_that_fits_even_past_a_lower_threshold(short_run, people, small_models, no_enqueue, settings):
    settings.DEBRIEF_COMPRESSION_THRESHOLD = 0.4

    analysis = analyse(short_run, people.alice, NATIVE_MODEL, "off")

    assert analysis.status == "done" and analysis.compression_record["applied"] == "none"
    assert small_models.requests_to("compact") == []
