"""`debrief analyze ... --yes --wait`: the estimate, then the analysis itself."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.samples import SMALLEST, ingest_sample
from tests.analyses.support import work
from webapp.analyses import services
from webapp.analyses.models import Analysis

pytestmark = pytest.mark.django_db


@pytest.fixture
def inline_worker(monkeypatch):
    """The queued analysis runs at once, in this process, as a worker would run it."""
    monkeypatch.setattr(services.transaction, "on_commit", lambda callback, **options: callback())
    monkeypatch.setattr(services, "enqueue", lambda analysis_id: work(Analysis.objects.get(pk=analysis_id)))


def test_a_run_id_is_analysed_and_the_report_printed(people, inline_worker, capsys):
    run = ingest_sample(people.team_a)
    call_command("analyze", str(run.pk), "--model", "debrief/offline", "--yes", "--wait", "--timeout", "30")
    out = capsys.readouterr().out
    assert "Verdict: pass" in out and "# Offline analysis" in out
    assert Analysis.objects.get().status == "done"


def test_a_path_is_imported_into_the_team_first(people, inline_worker, capsys):
    call_command("analyze", str(SMALLEST), "--model", "debrief/offline", "--yes", "--wait", "--timeout", "30", "--team", "acme", "--json")
    analysis = Analysis.objects.get()
    assert analysis.team == people.team_a and analysis.run.status == "ready"
    assert f'"id": "{analysis.pk}"' in capsys.readouterr().out


def test_without_yes_and_without_a_terminal_nothing_starts(people, monkeypatch):
    run = ingest_sample(people.team_a)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="--yes"):
        call_command("analyze", str(run.pk), "--model", "debrief/offline")
    assert not Analysis.objects.exists()


def test_estimate_only_starts_nothing(people, capsys):
    run = ingest_sample(people.team_a)
    call_command("analyze", str(run.pk), "--model", "debrief/offline", "--estimate-only")
    assert not Analysis.objects.exists()
