"""Spend as the provider bills it, for the calls besides the analysis call
(tests/analyses/test_spend_counted.py has that one): a follow-up answer, and the
compaction and summary calls compression makes. A 2xx reply that cannot be read
and a reply that does not come in time are counted at the call's estimate; a call
out when its worker is killed is counted at its estimate once, however many
deliveries follow; and the budget refuses work once that spend leaves too little."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analysis.engine import followup
from analysis.llm import runners
from tests.analyses.support import WorkerKilled, assert_inert, dies_during_first_call, swept_and_delivered_twice, work
from tests.compression.conftest import CHAT_MODEL, NATIVE_MODEL, NATIVE_MODEL_ID
from tests.compression.support import LONG_ANSWER_TOKENS, answer_now
from tests.fakeopenai import Reply
from tests.fakeopenai.tokens import filler_text
from webapp.analyses import services as analyses
from webapp.analyses import tasks as analysis_tasks
from webapp.analyses.budget import OverBudget, budget_state, do_set_budget
from webapp.analyses.models import Analysis
from webapp.analyses.serializers import analysis_json
from webapp.conversations import tasks as answer_tasks
from webapp.conversations.models import Message
from webapp.conversations.services import QuestionRefused, do_ask

pytestmark = pytest.mark.django_db

CALL_TIMEOUT_SECONDS = 1
HANGS = Reply(delay=CALL_TIMEOUT_SECONDS + 2)
CUT_OFF_RESPONSE = Reply(raw_body='{"id": "resp_1", "object": "response", "output": [{"type": "mess')
CUT_OFF_CHAT = Reply(raw_body='{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "A summ')
CUT_OFF_COMPACTION = Reply(raw_body='{"id": "resp_1", "object": "response.compaction", "output": [{"type": "compac')
QUESTION = "Which agent won, and why?"
UNREADABLE = "answered 200 with a"
TIMED_OUT = "no reply within the time-out"


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("1e-8"))


def assert_counted_at_estimate(row, purpose: str, reason: str) -> dict:
    """`row` finished with exactly one call of `purpose` counted at its estimate, for `reason`."""
    [unread] = row.unconfirmed_calls
    assert unread["estimated"] and unread["purpose"] == purpose, row.unconfirmed_calls
    assert unread["reason"].startswith(reason), unread["reason"]
    assert unread["usage"]["input_tokens"] > 0 and unread["cost_usd"] > 0
    assert row.unconfirmed_usd == money(unread["cost_usd"]) and row.call_in_flight is None
    return unread


# Compression calls, as an analysis makes them: (model, endpoint, purpose, where the call goes out).
COMPACT = (NATIVE_MODEL, "compact", "compact", "compact", CUT_OFF_COMPACTION)
SUMMARISE = (CHAT_MODEL, "chat", "summarize", "call_model", CUT_OFF_CHAT)
COMPRESSION_CALLS = pytest.mark.parametrize("model, endpoint, purpose, sender, cut_off", [COMPACT, SUMMARISE], ids=["compact", "summarise"])


def analyse(run, user, model) -> Analysis:
    queued = analyses.do_request_analysis(run, user, model, "auto")
    analysis_tasks.run_analysis.apply(args=[str(queued.pk)])
    return Analysis.objects.get(pk=queued.pk)


@COMPRESSION_CALLS
def test_a_compression_reply_that_cannot_be_read_is_counted_at_its_estimate(
    long_run, people, small_models, no_enqueue, model, endpoint, purpose, sender, cut_off
):
    small_models.script(endpoint, cut_off)

    done = analyse(long_run, people.alice, model)

    assert done.status == "done", done.error
    assert_counted_at_estimate(done, purpose, UNREADABLE)
    assert done.calls and done.calls[-1]["purpose"] == "analyze"  # the rest was measured
    assert budget_state(people.team_a).unconfirmed == done.unconfirmed_usd
    assert analysis_json(done, "")["unconfirmed"]["cost_usd"] == float(done.unconfirmed_usd)


@COMPRESSION_CALLS
def test_a_compression_reply_that_does_not_come_in_time_is_counted_at_its_estimate(
    long_run, people, small_models, no_enqueue, settings, model, endpoint, purpose, sender, cut_off
):
    settings.DEBRIEF_LLM_CALL_TIMEOUT = CALL_TIMEOUT_SECONDS
    small_models.script(endpoint, HANGS)

    done = analyse(long_run, people.alice, model)

    assert done.status == "done", done.error
    assert_counted_at_estimate(done, purpose, TIMED_OUT)


@COMPRESSION_CALLS
def test_a_compression_call_out_when_its_worker_is_killed_is_counted_once(
    long_run, people, small_models, no_enqueue, monkeypatch, model, endpoint, purpose, sender, cut_off
):
    dies_during_first_call(monkeypatch, runners, sender)
    queued = analyses.do_request_analysis(long_run, people.alice, model, "auto")
    with pytest.raises(WorkerKilled):
        work(queued)
    killed = Analysis.objects.get(pk=queued.pk)
    assert killed.status == "running" and killed.call_in_flight["purpose"] == purpose
    estimate = killed.call_in_flight["cost_usd"]
    swept_and_delivered_twice(monkeypatch, killed, analysis_tasks.run_analysis, analysis_tasks.requeue_stalled_analyses)

    done = Analysis.objects.get(pk=queued.pk)
    assert done.status == "done", done.error
    unread = assert_counted_at_estimate(done, purpose, "in flight when its worker stopped")
    assert unread["cost_usd"] == estimate
    assert budget_state(people.team_a).spent == done.cost_usd + done.unconfirmed_usd


@COMPRESSION_CALLS
def test_an_analysis_is_refused_once_unconfirmed_compression_spend_leaves_too_little(
    long_run, people, small_models, no_enqueue, model, endpoint, purpose, sender, cut_off
):
    small_models.script(endpoint, cut_off)
    first = analyse(long_run, people.alice, model)
    assert first.unconfirmed_usd > 0
    # Enough for the next estimate if only measured spend counted; not with the unconfirmed.
    limit = first.cost_usd + first.estimate_usd + first.unconfirmed_usd / 2
    do_set_budget(people.team_a, people.alice, limit)

    with pytest.raises(OverBudget):
        analyses.do_request_analysis(long_run, people.alice, model, "auto")


# Follow-up answers.


@pytest.fixture
def report(short_run, people, small_models, no_enqueue):
    return work(analyses.do_request_analysis(short_run, people.alice, NATIVE_MODEL, "auto"))


def answered(report, user) -> Message:
    pending = do_ask(report, user, QUESTION)
    answer_tasks.answer_question.apply(args=[pending.pk])  # eager: a retry runs at once
    return Message.objects.get(pk=pending.pk)


def test_an_answer_that_cannot_be_read_is_counted_at_its_estimate(report, people, small_models):
    small_models.script("responses", CUT_OFF_RESPONSE)

    answer = answered(report, people.alice)

    assert answer.status == "done", answer.error
    unread = assert_counted_at_estimate(answer, "followup", UNREADABLE)
    assert [call["purpose"] for call in answer.calls] == ["followup"]  # the retry, measured
    state = budget_state(people.team_a)
    assert state.unconfirmed == answer.unconfirmed_usd
    assert state.spent == report.cost_usd + answer.cost_usd + answer.unconfirmed_usd
    told = analysis_json(report, "")["answers"]
    assert told["count"] == 1 and told["cost_usd"] == float(answer.cost_usd)
    assert told["unconfirmed"]["cost_usd"] == float(answer.unconfirmed_usd)
    assert told["unconfirmed"]["calls"][0]["reason"] == unread["reason"]


def test_an_answer_that_does_not_come_in_time_is_counted_at_its_estimate(report, people, small_models, settings):
    settings.DEBRIEF_LLM_CALL_TIMEOUT = CALL_TIMEOUT_SECONDS
    small_models.script("responses", HANGS)

    answer = answered(report, people.alice)

    assert answer.status == "done", answer.error
    assert_counted_at_estimate(answer, "followup", TIMED_OUT)


def test_an_answer_out_when_its_worker_is_killed_is_counted_once(report, people, small_models, monkeypatch):
    dies_during_first_call(monkeypatch, followup, "call_model")
    pending = do_ask(report, people.alice, QUESTION)
    with pytest.raises(WorkerKilled):
        answer_now(pending)
    killed = Message.objects.get(pk=pending.pk)
    assert killed.status == "answering" and killed.call_in_flight["purpose"] == "followup"
    estimate = killed.call_in_flight["cost_usd"]
    swept_and_delivered_twice(monkeypatch, killed, answer_tasks.answer_question, answer_tasks.requeue_stalled_answers)

    answer = Message.objects.get(pk=pending.pk)
    assert answer.status == "done", answer.error
    unread = assert_counted_at_estimate(answer, "followup", "in flight when its worker stopped")
    assert unread["cost_usd"] == estimate
    assert budget_state(people.team_a).spent == report.cost_usd + answer.cost_usd + answer.unconfirmed_usd


def test_a_question_is_refused_once_unconfirmed_answer_spend_leaves_too_little(report, people, small_models):
    small_models.script("responses", CUT_OFF_RESPONSE)
    first = answered(report, people.alice)
    assert first.unconfirmed_usd > 0
    spent = report.cost_usd + first.cost_usd
    # Enough for the next answer's reservation if only measured spend counted; not with the unconfirmed.
    do_set_budget(people.team_a, people.alice, spent + first.estimate_usd + first.unconfirmed_usd / 2)

    with pytest.raises(QuestionRefused, match="exceeds the .* left of this month's"):
        do_ask(report, people.alice, "And which agent lost?")


def test_a_failed_answer_keeps_its_unconfirmed_calls(report, people, small_models):
    small_models.script("responses", *[CUT_OFF_RESPONSE] * (answer_tasks.MAX_TRANSIENT_RETRIES + 1))

    answer = answered(report, people.alice)

    assert answer.status == "failed" and "gave up" in answer.error
    assert len(answer.unconfirmed_calls) == answer_tasks.MAX_TRANSIENT_RETRIES + 1
    assert budget_state(people.team_a).unconfirmed == answer.unconfirmed_usd > 0


def test_the_thread_and_the_budget_page_show_an_answers_unconfirmed_spend(client, report, people, small_models):
    small_models.script("responses", CUT_OFF_RESPONSE)
    answer = answered(report, people.alice)
    client.force_login(people.alice)

    thread = client.get(f"/analyses/{report.pk}/questions/thread/").content.decode()
    budget = client.get("/team/budget/").content.decode()

    assert_inert(thread)
    assert "probably billed, usage never read" in thread and "followup, answered 200 with a reply" in thread
    assert 'id="budget-unconfirmed"' in budget and "follow-up answers" in budget
    assert budget_state(people.team_a).unconfirmed == answer.unconfirmed_usd


def test_an_unreadable_compaction_of_a_long_conversation_is_counted_on_the_answer(report, people, small_models):
    small_models.script("responses", Reply(text=filler_text(NATIVE_MODEL_ID, LONG_ANSWER_TOKENS)))
    answered(report, people.alice)  # a history long enough to be compacted before the next question
    small_models.script("compact", CUT_OFF_COMPACTION)

    second = answered(report, people.alice)

    assert second.status == "done" and second.shrunk == "summarize"  # the fallback, measured
    assert "compaction failed for now: answered 200" in second.fallback_reason
    assert_counted_at_estimate(second, "compact", UNREADABLE)
    assert budget_state(people.team_a).unconfirmed == second.unconfirmed_usd
