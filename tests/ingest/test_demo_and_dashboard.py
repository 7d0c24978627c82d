"""`debrief demo` imports the sample runs ready for the first page load, once,
and leaves the demo user's password (and so its sessions) alone when it runs
again; the dashboard counts a team's runs and shows its newest ready ones."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from tests.factories import RunFactory, TeamFactory
from tests.samples import SAMPLE_SESSIONS
from webapp.home.dashboard import RECENT_RUNS, dashboard_context
from webapp.home.management.commands.demo import load_demo_data
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


def test_the_dashboard_counts_the_teams_runs_and_lists_its_newest_with_their_status(people, client):
    start = timezone.now() - timedelta(hours=1)
    ready = [
        RunFactory(team=people.team_a, bare=True, created_at=start + timedelta(minutes=i), question=f"Question {i}")
        for i in range(RECENT_RUNS + 1)
    ]
    failed = RunFactory(team=people.team_a, bare=True, status="failed", created_at=start + timedelta(minutes=90))
    RunFactory(team=people.team_b, bare=True)
    membership = people.alice.memberships.get()

    context = dashboard_context(membership)

    assert context["run_count"] == RECENT_RUNS + 2
    # A failed upload is listed with its status, so it is seen rather than hidden.
    assert context["recent_runs"] == [failed, *list(reversed(ready))[: RECENT_RUNS - 1]]
    client.force_login(people.alice)
    assert ready[-1].title in client.get("/").content.decode()


@pytest.fixture
def demo(settings, tmp_path):
    """`debrief demo`, on a data folder of the test's own and without sample runs
    (importing them has its own test); returns what it printed."""
    settings.DATA_DIR = tmp_path
    settings.DEBRIEF_DEMO_RUNS_DIR = tmp_path / "no-sample-runs"

    def run() -> str:
        out = io.StringIO()
        call_command("demo", stdout=out)
        return out.getvalue()

    return run


def test_running_the_demo_again_keeps_the_password_and_every_session(demo, client, settings):
    first = demo()
    password = (settings.DATA_DIR / "demo-password").read_text().strip()
    assert f"Log in as demo / {password}" in first
    assert client.login(username="demo", password=password)
    hashed = get_user_model().objects.get(username="demo").password

    again = demo()

    assert get_user_model().objects.get(username="demo").password == hashed
    assert client.get("/").status_code == 200  # still logged in, not sent to the login page
    assert f"Log in as demo / {password}" in again


def test_a_password_changed_since_survives_the_demo_which_says_how_to_reset_it(demo, client, settings):
    demo()
    user = get_user_model().objects.get(username="demo")
    user.set_password("a password of my own")
    user.save()

    output = demo()

    assert client.login(username="demo", password="a password of my own")
    assert "Log in as demo with the password set for it (left unchanged)" in output
    assert "debrief changepassword demo" in output
    assert (settings.DATA_DIR / "demo-password").read_text().strip() not in output
