"""Retention: a team setting (owners), the server default, the daily task and
`debrief runs prune`; a pruned run goes with its analyses, conversations, share
links and files, through the same deletion as a person's."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tests import stored
from tests.analyses.support import work
from tests.api.conftest import bearer
from tests.factories import RunFactory
from tests.foundation.test_settings_from_env import load_settings
from tests.samples import ingest_sample
from webapp.analyses import services as analyses
from webapp.analyses.models import Analysis, ShareLink
from webapp.audit.models import Action, AuditEntry
from webapp.conversations.models import Conversation
from webapp.runs.models import Run
from webapp.runs.services.retention import do_prune, prune_expired
from webapp.runs.tasks import prune_expired_runs
from webapp.teams.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, parse_days

pytestmark = pytest.mark.django_db


def aged(team, days: float, **fields) -> Run:
    run = RunFactory(team=team, **fields)
    Run.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=days))
    return run


# --- the number of days -------------------------------------------------------------

def test_retention_days_are_accepted_at_both_limits_and_refused_one_past():
    assert parse_days(str(MIN_RETENTION_DAYS)) == MIN_RETENTION_DAYS == 1
    assert parse_days(str(MAX_RETENTION_DAYS)) == MAX_RETENTION_DAYS == 3650
    for raw in (str(MIN_RETENTION_DAYS - 1), str(MAX_RETENTION_DAYS + 1)):
        with pytest.raises(ValueError, match="from 1 to 3650"):
            parse_days(raw)


@pytest.mark.parametrize("raw", ["+5", "-5", "5.0", "1e3", "5 days", "", " ", "٣", "0x10", "5_0"])
def test_retention_days_are_plain_digits_only(raw):
    with pytest.raises(ValueError):
        parse_days(raw)


def test_a_bad_server_default_stops_the_service_naming_the_variable():
    result = load_settings(DEBRIEF_RETENTION_DAYS="30d")
    assert result.returncode != 0 and "DEBRIEF_RETENTION_DAYS" in result.stderr
    result = load_settings(DEBRIEF_RETENTION_DAYS="3651")
    assert result.returncode != 0 and "from 1 to 3650" in result.stderr


# --- the team setting ----------------------------------------------------------------

def test_an_owner_sets_retention_at_the_limit_but_not_one_past(client, people):
    client.force_login(people.alice)
    assert client.post("/teams/acme/retention/", {"retention_days": "3650"}).status_code == 302
    people.team_a.refresh_from_db()
    assert (people.team_a.retention_days, people.team_a.retention_set) == (3650, True)
    page = client.post("/teams/acme/retention/", {"retention_days": "3651"}, follow=True).content.decode()
    assert "Retention not changed" in page and "from 1 to 3650" in page
    people.team_a.refresh_from_db()
    assert people.team_a.retention_days == 3650
    client.post("/teams/acme/retention/", {"retention_days": "0"})
    people.team_a.refresh_from_db()
    assert people.team_a.retention_days == 3650


def test_empty_keeps_runs_forever_and_the_server_default_can_be_restored(client, people, settings):
    settings.DEBRIEF_RETENTION_DAYS = 30
    client.force_login(people.alice)
    assert "Runs older than <strong>30 days</strong>" in client.get("/teams/acme/").content.decode()
    client.post("/teams/acme/retention/", {"retention_days": ""})
    people.team_a.refresh_from_db()
    assert people.team_a.retention_set and people.team_a.effective_retention_days is None
    assert "kept forever" in client.get("/teams/acme/").content.decode()
    client.post("/teams/acme/retention/", {"action": "default"})
    people.team_a.refresh_from_db()
    assert not people.team_a.retention_set and people.team_a.effective_retention_days == 30


def test_only_owners_change_retention_and_outsiders_do_not_see_the_team(client, people):
    client.force_login(people.bob)
    page = client.get("/teams/acme/").content.decode()
    assert "Retention" in page and 'name="retention_days"' not in page
    assert client.post("/teams/acme/retention/", {"retention_days": "5"}).status_code == 403
    client.force_login(people.charlie)
    assert client.post("/teams/acme/retention/", {"retention_days": "5"}).status_code == 404
    people.team_a.refresh_from_db()
    assert not people.team_a.retention_set


# --- pruning -------------------------------------------------------------------------

def test_the_daily_task_deletes_only_runs_past_each_teams_retention(people, settings, storage_dir):
    settings.DEBRIEF_RETENTION_DAYS = 7
    old, recent = aged(people.team_a, 8), aged(people.team_a, 6)
    people.team_b.retention_days, people.team_b.retention_set = None, True  # birch keeps forever
    people.team_b.save()
    birch_old = aged(people.team_b, 400)
    prune_expired_runs.apply()
    assert set(Run.objects.values_list("pk", flat=True)) == {recent.pk, birch_old.pk}
    assert old.pk not in {run.pk for run in Run.objects.all()}
    entry = AuditEntry.objects.get(team_id=people.team_a.pk, action=Action.RUNS_PRUNED)
    assert entry.actor_name == "system" and entry.details["runs"] == [str(old.pk)]


def test_without_a_server_default_nothing_is_pruned_for_teams_that_did_not_choose(people, settings):
    settings.DEBRIEF_RETENTION_DAYS = None
    aged(people.team_a, 5000)
    assert prune_expired() == 0 and Run.objects.count() == 1


def test_a_pruned_run_goes_with_its_analyses_conversations_share_links_and_files(
    client, people, no_enqueue, storage_dir, django_capture_on_commit_callbacks
):
    run = ingest_sample(people.team_a)
    folder = stored.run_dir(run)
    assert folder.is_dir()
    analysis = work(analyses.do_request_analysis(run, people.alice, "debrief/offline"))
    Conversation.objects.create(analysis=analysis, team=people.team_a)
    _, share = analyses.do_create_share(analysis, people.alice)
    assert client.get(f"/s/{share}/").status_code == 200
    with pytest.raises(ValueError):
        do_prune(people.team_a, -1)
    with django_capture_on_commit_callbacks(execute=True):  # the files go once the deletion commits
        pruned = do_prune(people.team_a, 0)
    assert [item.id for item in pruned] == [str(run.pk)]
    assert not Run.objects.filter(pk=run.pk).exists()
    assert not Analysis.objects.filter(pk=analysis.pk).exists() and not ShareLink.objects.exists()
    assert not Conversation.objects.exists()
    assert not folder.exists()
    assert client.get(f"/s/{share}/").status_code == 404


def test_pruning_again_or_after_another_pruner_deletes_nothing_twice(people):
    aged(people.team_a, 3)
    assert len(do_prune(people.team_a, 1)) == 1
    assert do_prune(people.team_a, 1) == []
    assert AuditEntry.objects.filter(action=Action.RUNS_PRUNED).count() == 1
    assert AuditEntry.objects.filter(action=Action.RUN_DELETED).count() == 1


def test_prune_command_removes_the_run_so_the_api_answers_404(client, people, tokens):
    run = aged(people.team_a, 0.001)
    other = aged(people.team_b, 10)
    assert client.get(f"/api/v1/runs/{run.pk}", headers=bearer(tokens.read)).status_code == 200
    out = StringIO()
    call_command("runs", "prune", "--team", "acme", "--older-than", "0", stdout=out)
    assert f"deleted run {run.pk}" in out.getvalue() and "acme: deleted 1 run older than 0 days." in out.getvalue()
    assert client.get(f"/api/v1/runs/{run.pk}", headers=bearer(tokens.read)).status_code == 404
    assert Run.objects.filter(pk=other.pk).exists()
    assert AuditEntry.objects.get(action=Action.RUNS_PRUNED).actor_name == "operator"


def test_a_dry_run_prints_what_it_would_delete_and_deletes_nothing(people):
    run = aged(people.team_a, 40, original_name="log_old.zip")
    aged(people.team_a, 10)
    out = StringIO()
    call_command("runs", "prune", "--team", "acme", "--older-than", "30", "--dry-run", stdout=out)
    text = out.getvalue()
    assert f"would delete run {run.pk}" in text and "log_old.zip" in text and "would delete 1 run older than 30 days" in text
    assert Run.objects.count() == 2 and not AuditEntry.objects.filter(action__in=[Action.RUNS_PRUNED, Action.RUN_DELETED]).exists()


@pytest.mark.parametrize("days", ["3650", "0"])
def test_prune_accepts_zero_and_the_upper_limit(people, days):
    call_command("runs", "prune", "--team", "acme", "--older-than", days, stdout=StringIO())


@pytest.mark.parametrize("days", ["3651", "-1", "1.5", "ten"])
def test_prune_refuses_days_out_of_range_or_not_whole(people, days):
    with pytest.raises(CommandError, match="--older-than"):
        call_command("runs", "prune", "--team", "acme", "--older-than", days, stdout=StringIO())


def test_prune_names_an_unknown_team(people):
    with pytest.raises(CommandError, match="No team with slug 'nope'"):
        call_command("runs", "prune", "--team", "nope", "--older-than", "1", stdout=StringIO())
