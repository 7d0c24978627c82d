"""A lower app's page shows what higher apps register in its slots, and still
renders when nothing is registered (webapp/core/slots.py)."""

from __future__ import annotations

import pytest

from tests.factories import AnalysisFactory
from tests.samples import ingest_sample
from webapp.core import slots


@pytest.fixture
def ready_run(people):
    return ingest_sample(people.team_a)


@pytest.fixture
def empty_slots(monkeypatch):
    monkeypatch.setattr(slots, "_templates", {name: [] for name in ("run.panel", "run.after", "team.after", "report.after")})
    monkeypatch.setattr(slots, "_row_facts", {})


def test_the_run_page_shows_the_panel_and_analyses_the_higher_apps_register(client, people, ready_run):
    client.force_login(people.alice)
    page = client.get(ready_run.get_absolute_url()).content.decode()
    assert 'id="analyse-panel"' in page and "Analyses" in page


def test_pages_render_without_their_slots(client, people, ready_run, empty_slots):
    client.force_login(people.alice)
    run_page = client.get(ready_run.get_absolute_url())
    runs_list = client.get("/runs/")
    assert run_page.status_code == runs_list.status_code == 200
    assert 'id="analyse-panel"' not in run_page.content.decode()


def test_the_runs_list_shows_the_latest_verdict_from_the_registered_row_facts(client, people, ready_run):
    analysis = AnalysisFactory(run=ready_run, status="done", verdict="warn")
    client.force_login(people.alice)
    assert f'href="{analysis.get_absolute_url()}" class="badge warn"' in client.get("/runs/").content.decode()
