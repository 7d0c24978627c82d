"""The "Ask about this run" card in Chromium: it loads on the report page, a
question posts in place, and the thread polls until the answer arrives."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from tests.analyses.support import work
from tests.browser import log_in
from tests.compression.support import answer_now
from webapp.analyses import services as analyses
from webapp.conversations import services
from webapp.conversations.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORKER_DELAY_SECONDS = 1.5  # long enough for the page to show the pending answer first


@pytest.fixture
def slow_worker(monkeypatch):
    """Answers each question in a thread, a moment after it is asked, as a worker would."""

    def answer_later(message_id):
        def answer():
            try:
                answer_now(Message.objects.get(pk=message_id))
            finally:
                connection.close()

        threading.Timer(WORKER_DELAY_SECONDS, answer).start()

    monkeypatch.setattr(services, "enqueue", answer_later)


def test_a_question_is_answered_in_place_on_the_report_page(page, live_server, short_run, people, no_enqueue, slow_worker):
    analysis = work(analyses.do_request_analysis(short_run, people.alice, "debrief/offline"))
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}{analysis.get_absolute_url()}")
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Your question").fill("Which errors?")
    page.get_by_role("button", name="Ask").click()

    page.get_by_role("status").filter(has_text="Waiting for a worker").wait_for()
    page.get_by_text("is not a language model").wait_for()
    assert page.locator("#conversation .turn.question").inner_text().endswith("Which errors?")
    assert page.evaluate("window.notReloaded") is True
    assert page.get_by_label("Your question").input_value() == ""  # ready for the next one
