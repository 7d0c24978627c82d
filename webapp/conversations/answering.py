"""One follow-up answer, as the task writes it. The question goes to the model
that wrote the report, with the run's digest and the conversation so far
(`analysis.engine.followup.ask` compacts or summarises a history past its threshold).
Every call of the turn goes through the answer row's spend ledger
(webapp.analyses.ledger): its estimate is kept while it is out, its usage and
cost added as soon as it returns, and a call probably billed but never read (an
unreadable 2xx, a time-out, a worker that died waiting) counted at its estimate;
the conversation's history changes only with a saved answer."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from analysis.engine.followup import ask
from analysis.llm.budget import DoesNotFit
from analysis.llm.calls import assistant_message
from analysis.llm.errors import PermanentLLMError
from analysis.registry import OFFLINE_MODEL_NAME, RegistryError
from analysis.registry.providers import api_key_for
from webapp.core.markdown import render_markdown
from webapp.analyses.ledger import RowLedger, settle_in_flight
from webapp.conversations.models import Message, MessageStatus, Role
from webapp.conversations.offline import offline_answer
from webapp.core.leases import LeasedWork, gave_up_after_crashes
from webapp.core.task_options import call_timeout, retry_detail, retry_entry
from webapp.llm import metrics as llm_metrics
from webapp.llm.compaction_memory import DatabaseCompactionSupport
from webapp.llm.compression_config import summariser_model
from webapp.llm.registry import get_registry
from webapp.llm.services import digest_for_run
from webapp.runs.errors import RunNotReady

# A call still out when the answer ends (a time limit cut it off) may have been billed.
ANSWER_STOPPED = "in flight when the answer stopped"
CANNOT_ANSWER_ERRORS = (PermanentLLMError, DoesNotFit, RegistryError, RunNotReady)


WORK = LeasedWork(Message, waiting=MessageStatus.QUEUED, working=MessageStatus.ANSWERING, scope={"role": Role.ASSISTANT})


def claim(message_id) -> Message | None:
    """Take a queued answer, or one whose previous holder's lease ran out; None
    when another delivery holds it or it is finished."""
    if not WORK.claim(message_id):
        return None
    message = Message.objects.select_related("conversation__analysis__run", "in_reply_to").get(pk=message_id)
    # The last holder may have died waiting for a reply the provider billed.
    settle_in_flight(message)
    return message


def stalled_ids(queued_for: timedelta) -> list[int]:
    return WORK.stalled_ids(queued_for)


def release_all_claims() -> int:
    """Expire the lease of every answer being written (their worker is gone: see
    webapp.core.leases)."""
    return WORK.release_all()


def retry_later(message: Message, error: Exception, delay: float, hold_seconds: float) -> None:
    """Hold the answer until its retry (due in `delay` seconds), saying why on the page."""
    analysis = message.conversation.analysis
    llm_metrics.count_failed_call(analysis.answered_model, error)
    WORK.hold_for_retry(message, hold_seconds, retry_entry(error, delay), detail=retry_detail(error, delay)[:255])


def fail(message: Message, error: str) -> None:
    settle_in_flight(message, ANSWER_STOPPED)
    _update(message, status=MessageStatus.FAILED, error=error, detail="", lease_expires_at=None, answered_at=timezone.now())


def answer(message: Message) -> None:
    """Carry a claimed answer to `done` or `failed`. Transient provider errors
    leave (the task retries them)."""
    gave_up = gave_up_after_crashes(message, message.detail)
    if gave_up:
        fail(message, gave_up)
        return
    try:
        _answer(message)
    except CANNOT_ANSWER_ERRORS as error:
        fail(message, f"{message.model} could not answer: {error}")


def _answer(message: Message) -> None:
    conversation = message.conversation
    analysis = conversation.analysis
    question = message.in_reply_to.text
    digest = digest_for_run(analysis.run, analysis.attempt).input.facts
    if message.model == OFFLINE_MODEL_NAME:
        _save(message, offline_answer(digest, question))
        return
    model = get_registry().require_available(message.model)
    summariser = summariser_model()
    _update(message, detail=f"waiting for {model.name}")
    reply = ask(
        model,
        conversation.history or [assistant_message(analysis.report_markdown)],
        question,
        digest,
        api_key=api_key_for(model),
        timeout=call_timeout(),
        memory=DatabaseCompactionSupport(),
        summariser=summariser,
        summariser_api_key=api_key_for(summariser) if summariser else None,
        ledger=RowLedger(message),
    )
    with transaction.atomic():
        conversation.history = reply.history
        conversation.save(update_fields=["history"])
        _save(message, reply.text, shrunk=reply.shrunk, fallback_reason=reply.fallback_reason or "")


def _save(message: Message, text: str, **fields) -> None:
    settle_in_flight(message, ANSWER_STOPPED)
    _update(
        message,
        status=MessageStatus.DONE,
        text=text,
        html=render_markdown(text),
        detail="",
        lease_expires_at=None,
        answered_at=timezone.now(),
        **fields,
    )


def _update(message: Message, **fields) -> None:
    for name, value in fields.items():
        setattr(message, name, value)
    message.save(update_fields=list(fields))
