"""A team's monthly budget: an analysis whose estimate exceeds what is left is
refused, with the numbers; exactly what is left is still allowed."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from tests.analyses.conftest import FAKE_MODEL
from tests.factories import AnalysisFactory
from webapp.analyses import services
from webapp.analyses.budget import OverBudget, budget_state, check_budget, do_set_budget, format_usd, month_start
from webapp.analyses.errors import AnalysisRefused
from webapp.analyses.models import Analysis

pytestmark = pytest.mark.django_db


def spend(team, run, cost: str, status: str = "done", estimate: str = "0", created_at=None) -> Analysis:
    fields = {"created_at": created_at} if created_at else {}
    return AnalysisFactory(team=team, run=run, status=status, cost_usd=Decimal(cost), estimate_usd=Decimal(estimate), **fields)


def test_an_estimate_of_exactly_what_is_left_is_allowed(people, ready_run):
    do_set_budget(people.team_a, people.alice, Decimal("5.00"))
    spend(people.team_a, ready_run, "4.58")
    assert check_budget(people.team_a, Decimal("0.42")).left == Decimal("0.42")


def test_an_estimate_one_cent_past_what_is_left_is_refused_with_the_numbers(people, ready_run):
    do_set_budget(people.team_a, people.alice, Decimal("5.00"))
    spend(people.team_a, ready_run, "4.90")
    with pytest.raises(OverBudget) as refused:
        check_budget(people.team_a, Decimal("0.11"))
    assert str(refused.value) == "The estimate $0.11 exceeds the $0.10 left of this month's $5.00 budget."
    assert refused.value.numbers == {"estimate_usd": 0.11, "left_usd": 0.10, "budget_usd": 5.0, "spent_usd": 4.9}


def test_queued_and_running_analyses_hold_their_estimate(people, ready_run):
    spend(people.team_a, ready_run, "0", status="queued", estimate="1.25")
    spend(people.team_a, ready_run, "0.50", status="running", estimate="0.20")  # already spent more than estimated
    spend(people.team_a, ready_run, "0.10", status="failed", estimate="3.00")  # finished: what it cost
    assert budget_state(people.team_a).spent == Decimal("1.85")


def test_last_months_spending_does_not_count(people, ready_run):
    do_set_budget(people.team_a, people.alice, Decimal("1.00"))
    spend(people.team_a, ready_run, "9.00", created_at=month_start().replace(year=2000))
    assert budget_state(people.team_a).left == Decimal("1.00")


def test_a_month_starts_at_midnight_utc_on_the_first():
    assert month_start(datetime(2026, 3, 31, 23, 59, tzinfo=timezone.utc)) == datetime(2026, 3, 1, tzinfo=timezone.utc)


def test_other_teams_spending_does_not_count(people, ready_run):
    do_set_budget(people.team_b, people.charlie, Decimal("1.00"))
    spend(people.team_a, ready_run, "50.00")
    assert budget_state(people.team_b).left == Decimal("1.00")


def test_no_budget_means_no_limit(people, ready_run):
    spend(people.team_a, ready_run, "1000")
    assert check_budget(people.team_a, Decimal("1000")).left is None


def test_a_request_over_budget_is_refused_before_anything_is_queued(people, ready_run, fake_model, no_enqueue):
    do_set_budget(people.team_a, people.alice, Decimal("0.01"))
    spend(people.team_a, ready_run, "0.01")
    with pytest.raises(AnalysisRefused) as refused:
        services.do_request_analysis(ready_run, people.alice, FAKE_MODEL)
    assert refused.value.code == "over_budget"
    assert "exceeds the $0.00 left of this month's $0.01 budget" in str(refused.value)
    assert Analysis.objects.count() == 1


def test_the_free_offline_model_runs_on_a_spent_budget(people, ready_run, no_enqueue):
    do_set_budget(people.team_a, people.alice, Decimal("0"))
    assert services.do_request_analysis(ready_run, people.alice, "debrief/offline").status == "queued"


def test_owners_set_the_budget_on_the_team_page_and_members_only_read_it(client, people):
    client.force_login(people.bob)
    assert client.post("/team/budget/", {"monthly_limit_usd": "5"}).status_code == 403
    assert "Only team owners" in client.get("/team/budget/").content.decode()
    client.force_login(people.alice)
    client.post("/team/budget/", {"monthly_limit_usd": "$12.50"})
    assert budget_state(people.team_a).limit == Decimal("12.50")
    assert "$12.50 left" in client.get("/team/budget/").content.decode()
    client.post("/team/budget/", {"monthly_limit_usd": ""})
    assert budget_state(people.team_a).limit is None


def test_money_reads_in_cents_unless_that_would_hide_a_difference():
    assert (format_usd(Decimal("0.42")), format_usd(Decimal("0.4234")), format_usd(5)) == ("$0.42", "$0.4234", "$5.00")
