"""Asking about an analysed run. Views and tests call these; the access rules
live here once: team members read, owners and members ask, viewers cannot."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from analysis.llm.budget import input_budget, output_reserve
from analysis.llm.usage import Usage, cost_usd
from analysis.llm.modelinfo import ModelInfo
from analysis.registry import RegistryError
from webapp.analyses.budget import check_budget
from webapp.analyses.errors import AnalysisRefused
from webapp.analyses.models import MONEY_QUANTUM, Analysis, Status
from webapp.conversations.models import PENDING, Conversation, Message, MessageStatus, Role
from webapp.conversations.tasks import answer_question
from webapp.core.refusals import Refused
from webapp.llm.registry import get_registry
from webapp.teams.access import require_write

MAX_QUESTION_CHARS = 4_000


class QuestionRefused(Refused):
    """Why a question cannot be asked now, worded for the person asking."""

    code = "question_refused"


def do_ask(analysis: Analysis, user: AbstractBaseUser, question: str) -> Message:
    """Queue the answer to `question` and return it (pending). Raises
    PermissionDenied for viewers, Http404 outside the team, QuestionRefused."""
    require_write(user, analysis.team)
    question = question.strip()
    if analysis.status != Status.DONE:
        raise QuestionRefused("Questions can be asked once the analysis has its report.")
    if not question:
        raise QuestionRefused("Type a question first.")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionRefused(f"A question is at most {MAX_QUESTION_CHARS:,} characters; this one has {len(question):,}.")
    try:
        model = get_registry().require_available(analysis.answered_model)
    except RegistryError as error:
        raise QuestionRefused(f"{analysis.answered_model}, which wrote the report, cannot answer now: {error}") from error
    reserved = answer_reservation_usd(model)
    with transaction.atomic():
        try:
            check_budget(analysis.team, reserved)
        except AnalysisRefused as refused:
            raise QuestionRefused(str(refused)) from refused
        conversation, _ = Conversation.objects.select_for_update().get_or_create(
            analysis=analysis, defaults={"team": analysis.team}
        )
        if conversation.messages.filter(status__in=PENDING).exists():
            raise QuestionRefused("The previous question is still being answered.")
        asked = Message.objects.create(conversation=conversation, role=Role.USER, text=question, created_by=user)
        answer = Message.objects.create(
            conversation=conversation,
            role=Role.ASSISTANT,
            in_reply_to=asked,
            status=MessageStatus.QUEUED,
            model=model.name,
            estimate_usd=reserved,
        )
        transaction.on_commit(lambda: enqueue(answer.pk))
    return answer


def answer_reservation_usd(model: ModelInfo) -> Decimal:
    """The most one answer costs when the history needs no shrinking: a request
    filling the model's input budget, and its whole output reserve."""
    usage = Usage(input_tokens=input_budget(model), output_tokens=output_reserve(model))
    return Decimal(str(cost_usd(model, usage))).quantize(MONEY_QUANTUM)


def enqueue(message_id: int) -> None:
    answer_question.delay(message_id)


def thread(analysis: Analysis) -> list[Message]:
    """The questions and answers so far, oldest first."""
    return list(
        Message.objects.filter(conversation__analysis=analysis).select_related("created_by").order_by("created_at", "pk")
    )
