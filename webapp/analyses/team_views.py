"""The team's analysis settings: the monthly budget (owners change it) and the
share links (owners and their creators revoke them)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from webapp.analyses.budget import budget_state, do_set_budget
from webapp.analyses.models import ShareLink
from webapp.teams.access import require_membership, require_owner

MAX_BUDGET_USD = Decimal("1000000")


@login_required
@require_http_methods(["GET", "POST"])
def budget(request):
    membership = require_membership(request)
    team = membership.team
    if request.method == "POST":
        require_owner(request.user, team)
        try:
            do_set_budget(team, request.user, _limit(request.POST.get("monthly_limit_usd", "")))
        except ValueError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Budget saved.")
        return redirect("analyses:team_budget")
    return render(request, "analyses/budget.html", {"team": team, "membership": membership, "state": budget_state(team)})


def _limit(raw: str) -> Decimal | None:
    """Blank means no limit."""
    if not raw.strip():
        return None
    try:
        value = Decimal(raw.strip().lstrip("$"))
    except InvalidOperation:
        raise ValueError(f"{raw!r} is not an amount of dollars.") from None
    if not value.is_finite() or value < 0 or value > MAX_BUDGET_USD:
        raise ValueError(f"A budget is between $0 and ${MAX_BUDGET_USD:,}.")
    return value.quantize(Decimal("0.01"))


@login_required
def shares(request):
    membership = require_membership(request)
    links = ShareLink.objects.filter(team=membership.team).select_related("analysis__run", "created_by")
    return render(request, "analyses/shares.html", {"team": membership.team, "membership": membership, "links": links})
