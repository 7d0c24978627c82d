"""A team's monthly spending on analyses, and the check made before each one.

A month is a calendar month in UTC. Finished analyses (and follow-up answers,
registered by their app) count what they cost,
plus calls the provider probably billed but whose usage was never read (counted
at their estimate: in flight when a worker died, or an unreadable 2xx reply);
queued and running ones count at least their estimate, so two requests made at
once cannot both spend the same remaining dollars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from decimal import ROUND_HALF_EVEN, Decimal

from django.db import transaction
from django.db.models import Case, F, Sum, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.module_loading import import_string

from webapp.analyses.errors import AnalysisRefused
from webapp.audit.models import Action
from webapp.audit.services import record
from webapp.analyses.models import IN_FLIGHT, Analysis, TeamBudget

# Dotted paths of `(team, since) -> Spending` functions for what else a team spends
# from the same budget (follow-up answers); apps above this one register theirs in
# their AppConfig.ready, so the budget never imports them.
_other_spending: list[str] = []


@dataclass(frozen=True)
class Spending:
    total: Decimal  # what counts against the budget
    unconfirmed: Decimal  # of `total`: calls counted at their estimate


def register_spending(path: str) -> None:
    if path not in _other_spending:
        _other_spending.append(path)


CENT = Decimal("0.01")
FINE = Decimal("0.0001")


def format_usd(value: Decimal | float) -> str:
    """Whole cents as cents ($0.42); anything finer with four decimals ($0.0042),
    so a refusal never reads "$0.42 exceeds the $0.42 left"."""
    amount = Decimal(str(value))
    if amount == amount.quantize(CENT):
        return f"${amount.quantize(CENT):,}"
    return f"${amount.quantize(FINE, rounding=ROUND_HALF_EVEN):,}"


def month_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.astimezone(dt_timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spent_this_month(team, now: datetime | None = None) -> Decimal:
    return spending_this_month(team, now).total


def unconfirmed_this_month(team, now: datetime | None = None) -> Decimal:
    """The part of the spending counted at estimates: calls probably billed whose
    usage was never read, by analyses and by everything registered."""
    return spending_this_month(team, now).unconfirmed


def spending_this_month(team, now: datetime | None = None) -> Spending:
    since = month_start(now)
    parts = [analyses_spent(team, since), *(import_string(path)(team, since) for path in _other_spending)]
    return Spending(sum((part.total for part in parts), Decimal(0)), sum((part.unconfirmed for part in parts), Decimal(0)))


def analyses_spent(team, since: datetime) -> Spending:
    billed = F("cost_usd") + F("unconfirmed_usd")
    committed = Case(
        When(status__in=IN_FLIGHT, then=Greatest(F("estimate_usd"), billed)),
        default=billed,
    )
    rows = Analysis.objects.filter(team=team, created_at__gte=since)
    totals = rows.aggregate(total=Sum(committed), unconfirmed=Sum("unconfirmed_usd"))
    return Spending(Decimal(totals["total"] or 0), Decimal(totals["unconfirmed"] or 0))


@dataclass(frozen=True)
class BudgetState:
    limit: Decimal | None  # None: no limit
    spent: Decimal
    unconfirmed: Decimal = Decimal(0)  # of `spent`: calls counted at their estimate

    @property
    def left(self) -> Decimal | None:
        if self.limit is None:
            return None
        return max(Decimal(0), self.limit - self.spent)


class OverBudget(AnalysisRefused):
    code = "over_budget"

    def __init__(self, estimate: Decimal, state: BudgetState):
        super().__init__(
            f"The estimate {format_usd(estimate)} exceeds the {format_usd(state.left)} left of this month's "
            f"{format_usd(state.limit)} budget.",
            numbers={
                "estimate_usd": float(estimate),
                "left_usd": float(state.left),
                "budget_usd": float(state.limit),
                "spent_usd": float(state.spent),
            },
        )


def budget_state(team, now: datetime | None = None, *, lock: bool = False) -> BudgetState:
    """`lock` holds the team's budget row until the transaction ends, so checks and
    the inserts that follow them happen one team request at a time."""
    rows = TeamBudget.objects.filter(team=team)
    budget = (rows.select_for_update() if lock else rows).first()
    limit = budget.monthly_limit_usd if budget else None
    spending = spending_this_month(team, now)
    return BudgetState(limit, spending.total, spending.unconfirmed)


def check_budget(team, estimate: Decimal) -> BudgetState:
    """Call inside the transaction that creates the analysis."""
    state = budget_state(team, lock=True)
    if state.left is not None and estimate > state.left:
        raise OverBudget(estimate, state)
    return state


@transaction.atomic
def do_set_budget(team, user, monthly_limit_usd: Decimal | None) -> TeamBudget:
    if monthly_limit_usd is not None and monthly_limit_usd < 0:
        raise ValueError("A budget cannot be negative.")
    before = TeamBudget.objects.filter(team=team).values_list("monthly_limit_usd", flat=True).first()
    budget, _ = TeamBudget.objects.update_or_create(
        team=team, defaults={"monthly_limit_usd": monthly_limit_usd, "updated_by": user}
    )
    if before != monthly_limit_usd:
        record(team, user, Action.BUDGET_CHANGED, "monthly budget", before=_usd_or_none(before), after=_usd_or_none(monthly_limit_usd))
    return budget


def _usd_or_none(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
