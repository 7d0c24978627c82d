"""The Celery edge of follow-up answers, run in this process: transient provider
errors are retried then reported, lost answers are sent again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.analyses.support import work
from tests.compression.conftest import NATIVE_MODEL
from tests.fakeopenai import Reply
from webapp.analyses import services as analyses
from webapp.conversations import tasks
from webapp.conversations.models import Message
from webapp.conversations.services import do_ask

pytestmark = pytest.mark.django_db

SERVER_ERROR = Reply(status=500)


@pytest.fixture
def pending(short_run, people, small_models, no_enqueue):
    report = work(analyses.do_request_analysis(short_run, people.alice, NATIVE_MODEL, "auto"))
    return do_ask(report, people.alice, "Which agent won?")


def test_a_transient_error_is_retried_and_the_answer_saved(pending, small_models):
    small_models.script("responses", SERVER_ERROR)

    tasks.answer_question.apply(args=[pending.pk])  # eager: the retry runs at once

    pending.refresh_from_db()
    assert pending.status == "done" and pending.deliveries == 2


def test_an_error_that_persists_fails_the_answer_saying_why(pending, small_models):
    small_models.script("responses", *[SERVER_ERROR] * (tasks.MAX_TRANSIENT_RETRIES + 1))

    tasks.answer_question.apply(args=[pending.pk])

    pending.refresh_from_db()
    assert pending.status == "failed"
    assert f"gave up after {tasks.MAX_TRANSIENT_RETRIES} retries" in pending.error


def test_an_answer_held_by_another_delivery_is_left_alone(pending, small_models):
    Message.objects.filter(pk=pending.pk).update(status="answering", lease_expires_at=timezone.now() + timedelta(minutes=5))

    tasks.answer_question.apply(args=[pending.pk])

    pending.refresh_from_db()
    assert pending.status == "answering" and small_models.requests_to("responses")[1:] == []


def test_lost_and_abandoned_answers_are_sent_again(pending, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.answer_question, "delay", sent.append)
    stalled = timezone.now() - timedelta(seconds=tasks.STALLED_AFTER_SECONDS + 1)
    Message.objects.filter(pk=pending.pk).update(created_at=stalled)

    assert tasks.requeue_stalled_answers() == 1 and sent == [pending.pk]
