"""`debrief demo` imports the sample runs ready for the first page load, once;
the dashboard counts a team's runs and shows its newest ready ones."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TeamFactory
from tests.ingest.support import make_run
from tests.samples import SAMPLE_SESSIONS
from webapp.core.dashboard import RECENT_RUNS, dashboard_context
from webapp.core.management.commands.demo import load_demo_data
from webapp.runs.models import Run

pytestmark = pytest.mark.django_db


def test_the_demo_imports_every_sample_run_ready_and_only_once(storage_dir):
    team = TeamFactory(slug="demo")
    lines = load_demo_data(team)
    assert Run.objects.filter(team=team, source="demo", status="ready").count() == len(SAMPLE_SESSIONS)
    assert f"{len(SAMPLE_SESSIONS)} imported" in lines[-1]

    again = load_demo_data(team)

    assert Run.objects.filter(team=team).count() == len(SAMPLE_SESSIONS)
    assert f"0 imported, {len(SAMPLE_SESSIONS)} already there" in again[-1]


def test_the_dashboard_counts_the_teams_runs_and_lists_its_newest_ready_ones(people, client):
    start = timezone.now() - timedelta(hours=1)
    ready = [make_run(people.team_a, start + timedelta(minutes=i), question=f"Question {i}") for i in range(RECENT_RUNS + 1)]
    make_run(people.team_a, status="failed")
    make_run(people.team_b)
    membership = people.alice.memberships.get()

    context = dashboard_context(membership)

    assert context["run_count"] == RECENT_RUNS + 2
    assert context["recent_runs"] == list(reversed(ready))[:RECENT_RUNS]
    client.force_login(people.alice)
    assert ready[-1].title in client.get("/").content.decode()
