"""What follow-up answers cost a team, for its monthly analysis budget: answered
ones what they cost, with calls probably billed but never read at their estimate,
pending ones at least what they reserved (as analyses do)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import Case, F, Sum, When
from django.db.models.functions import Greatest

from webapp.analyses.budget import Spending
from webapp.conversations.models import PENDING, Message, Role


def followups_spent(team, since: datetime) -> Spending:
    billed = F("cost_usd") + F("unconfirmed_usd")
    committed = Case(When(status__in=PENDING, then=Greatest(F("estimate_usd"), billed)), default=billed)
    answers = Message.objects.filter(conversation__team=team, role=Role.ASSISTANT, created_at__gte=since)
    totals = answers.aggregate(total=Sum(committed), unconfirmed=Sum("unconfirmed_usd"))
    return Spending(Decimal(totals["total"] or 0), Decimal(totals["unconfirmed"] or 0))
