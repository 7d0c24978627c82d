"""Follow-up questions on a report: asked on the page, answered by the task with
the digest and the history (compacted or summarised past the threshold),
sanitised, priced against the team's budget, and only for the team."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from analysis.engine.followup import DIGEST_HEADING
from tests.analyses.support import assert_inert, work
from tests.compression.conftest import (
    CHAT_MODEL,
    INPUT_USD_PER_MTOK,
    NATIVE_MODEL,
    NATIVE_MODEL_ID,
    OUTPUT_USD_PER_MTOK,
)
from tests.compression.support import LONG_ANSWER_TOKENS, answer_now, billed_usd, item_bytes
from tests.factories import MembershipFactory, UserFactory
from tests.fakeopenai import Reply
from tests.fakeopenai.tokens import filler_text
from webapp.analyses import services as analyses
from webapp.analyses.budget import do_set_budget, spent_this_month
from webapp.conversations.models import Conversation
from webapp.llm.models import UnsupportedCompaction
from webapp.conversations.offline import CANNOT_ANSWER
from webapp.conversations.services import QuestionRefused, do_ask

pytestmark = pytest.mark.django_db

QUESTION = "Which agent hit the HTTP errors, and what did it cost?"
XSS_REPLY = (
    '<script>alert("xss")</script> <img src=x onerror=alert(1)> '
    "[click me](javascript:alert(1)) <a href=\"javascript:alert(2)\" onclick=\"alert(3)\">link</a>"
)


@pytest.fixture
def report(short_run, people, small_models, no_enqueue):
    return work(analyses.do_request_analysis(short_run, people.alice, NATIVE_MODEL, "auto"))


def ask(analysis, user, question=QUESTION):
    return answer_now(do_ask(analysis, user, question))


def followup_requests(fake) -> list:
    return [request for request in fake.requests() if request.endpoint in ("responses", "chat")][1:]  # after the analysis


def test_a_member_asks_and_the_answer_is_saved_with_what_it_cost(report, people, small_models):
    pending = do_ask(report, people.bob, QUESTION)
    assert pending.status == "queued" and pending.estimate_usd > 0

    answer = answer_now(pending)

    assert answer.status == "done" and answer.text and answer.html
    [request] = followup_requests(small_models)
    digest, reported, question = request.body["input"]
    assert digest["content"].startswith(DIGEST_HEADING)
    assert reported == {"role": "assistant", "content": report.report_markdown}
    assert question == {"role": "user", "content": QUESTION}
    usage = request.reply["usage"]
    assert (answer.input_tokens, answer.output_tokens) == (usage["input_tokens"], usage["output_tokens"])
    expected = Decimal(str(billed_usd(request, INPUT_USD_PER_MTOK, OUTPUT_USD_PER_MTOK))).quantize(Decimal("1e-8"))
    assert answer.cost_usd == expected > 0
    assert answer.in_reply_to.created_by == people.bob


def test_markup_in_the_models_answer_is_rendered_inert(client, report, people, small_models):
    small_models.script("responses", Reply(text=XSS_REPLY))
    answer = ask(report, people.alice)
    client.force_login(people.alice)

    thread = client.get(f"/analyses/{report.pk}/questions/thread/").content.decode()

    assert answer.text == XSS_REPLY  # kept verbatim; only the HTML is cleaned
    assert_inert(answer.html)
    assert_inert(thread)
    assert "click me" in thread


def test_answers_count_against_the_teams_monthly_budget(report, people, small_models):
    before = spent_this_month(people.team_a)
    pending = do_ask(report, people.alice, QUESTION)
    assert spent_this_month(people.team_a) == before + pending.estimate_usd  # reserved while pending

    answer = answer_now(pending)

    assert spent_this_month(people.team_a) == before + answer.cost_usd


def test_a_question_is_refused_when_the_budget_cannot_hold_an_answer(report, people, small_models):
    do_set_budget(people.team_a, people.alice, spent_this_month(people.team_a) + Decimal("0.01"))

    with pytest.raises(QuestionRefused, match="exceeds the .* left of this month's"):
        do_ask(report, people.alice, QUESTION)


def test_a_long_conversation_is_compacted_and_the_window_is_sent_back_unchanged(report, people, small_models):
    small_models.script("responses", Reply(text=filler_text(NATIVE_MODEL_ID, LONG_ANSWER_TOKENS)))
    first = ask(report, people.alice)
    assert first.shrunk == "none" and small_models.requests_to("compact") == []

    second = ask(report, people.alice, "And which agent won?")

    [compact] = small_models.requests_to("compact")
    assert second.status == "done" and second.shrunk == "native"
    assert [call["purpose"] for call in second.calls] == ["compact", "followup"]
    assert second.cost_usd > Decimal(str(second.calls[-1]["cost_usd"])).quantize(Decimal("1e-8"))
    window = compact.reply["output"]
    assert Conversation.objects.get(analysis=report).history[: len(window)] == window
    third = ask(report, people.alice, "Were any votes changed?")
    assert third.status == "done" and third.shrunk == "none"
    assert item_bytes(window[-1]) in followup_requests(small_models)[-1].raw


def test_a_long_conversation_with_a_model_without_compaction_is_summarised(short_run, people, small_models, no_enqueue):
    analysis = work(analyses.do_request_analysis(short_run, people.alice, CHAT_MODEL, "auto"))
    small_models.script("chat", Reply(text=filler_text(NATIVE_MODEL_ID, LONG_ANSWER_TOKENS)))
    ask(analysis, people.alice)

    second = ask(analysis, people.alice, "And which agent won?")

    assert second.status == "done" and second.shrunk == "summarize"
    assert small_models.requests_to("compact") == []


def test_a_refused_history_compaction_is_summarised_and_remembered(report, people, small_models):
    small_models.script("responses", Reply(text=filler_text(NATIVE_MODEL_ID, LONG_ANSWER_TOKENS)))
    ask(report, people.alice)
    small_models.fail_compact(NATIVE_MODEL_ID, 404)

    second = ask(report, people.alice, "And which agent won?")

    assert second.shrunk == "summarize" and "compaction unsupported" in second.fallback_reason
    assert UnsupportedCompaction.objects.filter(model_name=NATIVE_MODEL).exists()


def test_the_thread_polls_while_an_answer_is_pending_and_stops_once_answered(client, report, people, small_models):
    client.force_login(people.bob)
    url = f"/analyses/{report.pk}/questions/"

    posted = client.post(url, {"question": QUESTION}, HTTP_HX_REQUEST="true")

    html = posted.content.decode()
    assert posted.status_code == 200
    assert f'href="{url}" hx-get="{url}thread/"' in html and 'hx-trigger="every 1s"' in html
    assert client.get(f"{url}thread/").status_code == 200  # still pending: keep polling
    answer_now(report.conversation.messages.get(role="assistant"))
    done = client.get(f"{url}thread/")
    assert done.status_code == 286 and "hx-trigger=\"every 1s\"" not in done.content.decode()
    assert "Your question" in done.content.decode()  # the form is back


def test_without_javascript_asking_redirects_to_the_conversation_page(client, report, people, small_models):
    client.force_login(people.alice)
    url = f"/analyses/{report.pk}/questions/"

    response = client.post(url, {"question": QUESTION})

    assert response.status_code == 302 and response["Location"] == url
    assert "Waiting for a worker" in client.get(url).content.decode()


def test_the_report_page_offers_the_conversation(client, report, people):
    client.force_login(people.bob)

    html = client.get(report.get_absolute_url()).content.decode()

    url = f"/analyses/{report.pk}/questions/"
    assert f'<a href="{url}" hx-get="{url}thread/"' in html


def test_an_outsider_gets_404_on_every_conversation_url(client, report, people):
    client.force_login(people.charlie)
    url = f"/analyses/{report.pk}/questions/"

    assert client.get(url).status_code == 404
    assert client.get(f"{url}thread/").status_code == 404
    assert client.post(url, {"question": QUESTION}).status_code == 404


def test_a_viewer_reads_the_conversation_but_cannot_ask(client, report, people, small_models):
    ask(report, people.alice)
    viewer = MembershipFactory(team=people.team_a, user=UserFactory(username="victor"), role="viewer").user
    client.force_login(viewer)
    url = f"/analyses/{report.pk}/questions/"

    page = client.get(url).content.decode()

    assert "Viewers can read the conversation but not ask." in page and 'name="question"' not in page
    assert QUESTION in page
    assert client.post(url, {"question": "Mine?"}).status_code == 403
    with pytest.raises(PermissionDenied):
        do_ask(report, viewer, "Mine?")


def test_a_second_question_waits_for_the_first_answer(report, people, small_models):
    do_ask(report, people.alice, QUESTION)

    with pytest.raises(QuestionRefused, match="still being answered"):
        do_ask(report, people.bob, "Another?")


def test_the_offline_model_says_it_cannot_answer_and_quotes_the_digest(short_run, people, no_enqueue, fake_openai):
    analysis = work(analyses.do_request_analysis(short_run, people.alice, "debrief/offline"))

    answer = ask(analysis, people.alice, "Which errors?")

    assert answer.status == "done" and answer.cost_usd == 0 and answer.estimate_usd == 0
    assert answer.text.startswith(CANNOT_ANSWER)
    quoted = answer.text.split("```text\n", 1)[1]
    assert quoted.strip() and all("error" in line.casefold() for line in quoted.split("\n```")[0].splitlines())
    assert fake_openai.requests() == []
    assert answer.text == ask(analysis, people.alice, "Which errors?").text  # deterministic
