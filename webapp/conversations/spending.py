"""What follow-up answers cost a team, for its monthly analysis budget: answered
ones what they cost, pending ones at least what they reserved (as analyses do)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Case, F, Sum, When
from django.db.models.functions import Greatest

from webapp.conversations.models import PENDING, Message, Role


def followups_spent(team, since: datetime) -> Decimal:
    committed = Case(When(status__in=PENDING, then=Greatest(F("estimate_usd"), F("cost_usd"))), default=F("cost_usd"))
    answers = Message.objects.filter(conversation__team=team, role=Role.ASSISTANT, created_at__gte=since)
    return Decimal(answers.aggregate(total=Sum(committed))["total"] or 0)
