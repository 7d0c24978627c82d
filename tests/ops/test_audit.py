"""The audit log: each action's service records one entry in its own
transaction; entries are never changed; owners read them on the Team page
(filtered, paginated) and `full` tokens at GET /api/v1/audit, each team only its own."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.analyses.support import work
from tests.api.conftest import bearer
from tests.api.test_runs_api import post_archive
from tests.factories import RunFactory
from tests.ingest.support import upload_archive, zip_bytes
from tests.ingest.test_server_folders import server_root  # noqa: F401 - fixture
from tests.samples import SMALLEST, ingest_sample
from webapp.analyses import services as analyses
from webapp.analyses.budget import do_set_budget
from webapp.api.models import ApiToken
from webapp.api.tokens import do_create_token, do_revoke_token
from webapp.audit.models import Action, AppendOnly, AuditEntry
from webapp.audit.services import AUDIT_PAGE_SIZE, SYSTEM, record
from webapp.runs import folders, tasks
from webapp.runs.services import do_delete_run
from webapp.teams import services as teams
from webapp.teams.models import Membership

pytestmark = pytest.mark.django_db


def actions(team) -> list[tuple[str, str]]:
    return [(entry.action, entry.actor_name) for entry in AuditEntry.objects.filter(team_id=team.pk).order_by("id")]


def test_every_action_records_who_did_it(client, people, no_enqueue, storage_dir):
    run = ingest_sample(people.team_a)  # imported by a command on the server
    uploaded, _ = upload_archive(people.team_a, people.bob, "run.zip", zip_bytes(SMALLEST))
    analysis = analyses.do_request_analysis(run, people.bob, "debrief/offline")
    analyses.do_cancel(analysis, people.bob)
    done = work(analyses.do_request_analysis(run, people.alice, "debrief/offline"))
    link, _ = analyses.do_create_share(done, people.bob)
    analyses.do_revoke_share(link, people.alice)
    token, _ = do_create_token(people.team_a, "full", "ci", people.alice)
    do_revoke_token(token, people.alice)
    teams.do_add_member(people.team_a, "charlie", "viewer", people.alice)
    charlie = Membership.objects.get(team=people.team_a, user=people.charlie)
    teams.do_change_role(charlie, "member", people.alice)
    teams.do_remove_member(charlie, people.alice)
    do_set_budget(people.team_a, people.alice, Decimal("25.00"))
    teams.do_set_retention(people.team_a, people.alice, 90)
    uploaded_id = uploaded.pk
    do_delete_run(uploaded, people.bob)
    assert actions(people.team_a) == [
        (Action.RUN_IMPORTED, "operator"),
        (Action.RUN_UPLOADED, "bob"),
        (Action.ANALYSIS_REQUESTED, "bob"),
        (Action.ANALYSIS_CANCELLED, "bob"),
        (Action.ANALYSIS_REQUESTED, "alice"),
        (Action.SHARE_CREATED, "bob"),
        (Action.SHARE_REVOKED, "alice"),
        (Action.TOKEN_CREATED, "alice"),
        (Action.TOKEN_REVOKED, "alice"),
        (Action.MEMBER_ADDED, "alice"),
        (Action.MEMBER_ROLE_CHANGED, "alice"),
        (Action.MEMBER_REMOVED, "alice"),
        (Action.BUDGET_CHANGED, "alice"),
        (Action.RETENTION_CHANGED, "alice"),
        (Action.RUN_DELETED, "bob"),
    ]
    role = AuditEntry.objects.get(action=Action.MEMBER_ROLE_CHANGED)
    assert role.target == "charlie" and role.details == {"before": "viewer", "after": "member"}
    assert AuditEntry.objects.get(action=Action.BUDGET_CHANGED).details == {"before": None, "after": "25.00"}
    assert AuditEntry.objects.get(action=Action.RUN_DELETED).target == f"run {uploaded_id}"
    assert not AuditEntry.objects.filter(team_id=people.team_b.pk).exists()


def test_an_api_token_is_named_as_the_actor(client, people, tokens, storage_dir):
    response = post_archive(client, tokens.upload)
    assert response.status_code == 201
    client.delete(f"/api/v1/runs/{response.json()['id']}", headers=bearer(tokens.full))
    entries = AuditEntry.objects.filter(team_id=people.team_a.pk, action__in=[Action.RUN_UPLOADED, Action.RUN_DELETED]).order_by("id")
    upload_token = ApiToken.objects.get(name="acme upload")
    assert [(e.actor_kind, e.actor_id, e.actor_name) for e in entries] == [
        ("token", upload_token.pk, f"token acme upload ({upload_token.prefix}…{upload_token.last4})"),
        ("token", ApiToken.objects.get(name="acme full").pk, f"token acme full ({ApiToken.objects.get(name='acme full').display})"),
    ]


def test_the_periodic_import_is_recorded_as_the_system_and_a_persons_import_as_them(people, server_root):
    sessions = [session for session in folders.list_server_sessions(people.team_a) if session.complete]
    folders.do_import_server_session(people.team_a, sessions[0].path, people.bob)
    tasks.import_server_folders()
    assert actions(people.team_a) == [(Action.RUN_IMPORTED, "bob")] + [(Action.RUN_IMPORTED, "system")] * (len(sessions) - 1)


def test_a_refused_action_records_nothing(people):
    own = Membership.objects.get(team=people.team_a, user=people.alice)
    with pytest.raises(ValueError):
        teams.do_remove_member(own, people.alice)  # the last owner
    with pytest.raises(ValueError):
        teams.do_add_member(people.team_a, "bob", "member", people.alice)  # already in
    assert not AuditEntry.objects.exists()


def test_a_setting_saved_unchanged_records_nothing(people):
    teams.do_set_retention(people.team_a, people.alice, 30)
    teams.do_set_retention(people.team_a, people.alice, 30)
    do_set_budget(people.team_a, people.alice, None)
    assert actions(people.team_a) == [(Action.RETENTION_CHANGED, "alice")]


def test_entries_are_never_changed_or_deleted(people):
    entry = record(people.team_a, SYSTEM, Action.RUNS_PRUNED, "1 run")
    entry.target = "nothing"
    for attempt in (entry.save, entry.delete, lambda: AuditEntry.objects.update(target="x"), lambda: AuditEntry.objects.all().delete()):
        with pytest.raises(AppendOnly):
            attempt()
    assert AuditEntry.objects.get().target == "1 run"


def test_entries_outlive_the_people_they_name(people):
    token, _ = do_create_token(people.team_a, "read", "ci", people.bob)
    get_user_model().objects.filter(pk=people.bob.pk).delete()
    assert AuditEntry.objects.get(action=Action.TOKEN_CREATED).actor_name == "bob"


# --- the Team page -------------------------------------------------------------------

def test_owners_read_the_log_on_the_team_page_filtered_by_actor_and_action(client, people):
    record(people.team_a, people.alice, Action.BUDGET_CHANGED, "monthly budget")
    record(people.team_a, people.bob, Action.RUN_UPLOADED, "run one")
    record(people.team_b, people.charlie, Action.RUN_UPLOADED, "birch secret run")
    client.force_login(people.alice)
    page = client.get("/teams/acme/").content.decode()
    assert "Audit log" in page and "run one" in page and "monthly budget" in page and "birch secret run" not in page
    page = client.get("/teams/acme/", {"actor": "bob"}).content.decode()
    assert "run one" in page and "monthly budget" not in page
    page = client.get("/teams/acme/", {"action": "budget.changed"}).content.decode()
    assert "monthly budget" in page and "run one" not in page
    page = client.get("/teams/acme/", {"action": "nonsense"}, follow=True).content.decode()
    assert "Unknown action" in page
    page = client.get("/teams/acme/", {"actor": "", "action": ""}).content.decode()  # the form's "Any action"
    assert "run one" in page and "monthly budget" in page


def test_teammates_do_not_see_the_log_and_outsiders_not_the_page(client, people):
    record(people.team_a, people.alice, Action.BUDGET_CHANGED, "monthly budget")
    client.force_login(people.bob)
    page = client.get("/teams/acme/").content.decode()
    assert "Audit log" not in page and "monthly budget" not in page
    client.force_login(people.charlie)
    assert client.get("/teams/acme/").status_code == 404
    page = client.get("/teams/birch/").content.decode()
    assert "Audit log" in page and "monthly budget" not in page


@pytest.mark.parametrize("count, pages", [(AUDIT_PAGE_SIZE, 1), (AUDIT_PAGE_SIZE + 1, 2)])
def test_the_log_pages_at_its_page_size(client, people, count, pages):
    for number in range(count):
        record(people.team_a, people.alice, Action.RUN_UPLOADED, f"run-{number:03d}")
    client.force_login(people.alice)
    response = client.get("/teams/acme/")
    assert response.context["audit_page"].paginator.num_pages == pages
    page = response.content.decode()
    assert f"run-{count - 1:03d}" in page  # newest first
    assert ("run-000" in page) == (pages == 1)
    if pages == 2:
        assert "run-000" in client.get("/teams/acme/", {"page": 2}).content.decode()


# --- the API -------------------------------------------------------------------------

def test_a_full_token_reads_its_own_teams_log_only(client, people, tokens):
    record(people.team_b, people.charlie, Action.RUN_UPLOADED, "birch secret run")
    record(people.team_a, people.alice, Action.BUDGET_CHANGED, "monthly budget", before=None, after="5.00")
    response = client.get("/api/v1/audit", headers=bearer(tokens.full))
    assert response.status_code == 200
    body = response.json()
    assert "birch secret run" not in response.content.decode()
    newest = body["results"][0]
    assert newest["action"] == "budget.changed" and newest["actor"] == {"kind": "user", "id": people.alice.pk, "name": "alice"}
    assert newest["details"] == {"before": None, "after": "5.00"} and newest["at"].endswith("Z")
    assert {entry["action"] for entry in body["results"]} == {"budget.changed", "token.created"}
    assert body["next_cursor"] is None and body["next"] is None


@pytest.mark.parametrize("scope", ["read", "upload"])
def test_read_and_upload_tokens_may_not_read_the_log(client, tokens, scope):
    response = client.get("/api/v1/audit", headers=bearer(getattr(tokens, scope)))
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"
    assert client.get("/api/v1/audit").status_code == 401


def test_the_api_filters_and_pages_by_cursor(client, people, tokens):
    for number in range(5):
        record(people.team_a, people.bob, Action.RUN_UPLOADED, f"run-{number}")
    first = client.get("/api/v1/audit", {"action": "run.uploaded", "actor": "bob", "limit": 2}, headers=bearer(tokens.full)).json()
    assert [entry["target"] for entry in first["results"]] == ["run-4", "run-3"]
    second = client.get(first["next"], headers=bearer(tokens.full)).json()
    third = client.get("/api/v1/audit", {"action": "run.uploaded", "limit": 2, "cursor": second["next_cursor"]}, headers=bearer(tokens.full)).json()
    assert [entry["target"] for entry in second["results"] + third["results"]] == ["run-2", "run-1", "run-0"]
    assert third["next_cursor"] is None


@pytest.mark.parametrize("query, ok", [
    ({"limit": "200"}, True), ({"limit": "201"}, False), ({"limit": "0"}, False),
    ({"action": "run.exploded"}, False), ({"action": ""}, False), ({"action": "run.uploaded"}, True), ({"actor": "a" * 150}, True), ({"actor": "a" * 151}, False), ({"cursor": "abc"}, False), ({"cursor": "9" * 19}, False), ({"cursor": "9" * 18}, True),
])
def test_the_api_refuses_a_query_it_cannot_read(client, tokens, query, ok):
    response = client.get("/api/v1/audit", query, headers=bearer(tokens.full))
    assert response.status_code == (200 if ok else 400)
    if not ok:
        assert response.json()["error"] == "bad_query"


def test_the_team_page_names_an_operator_or_the_system_once(client, people):
    RunFactory(team=people.team_a)
    call_command("runs", "prune", "--team", people.team_a.slug, "--older-than", "0")
    client.force_login(people.alice)
    page = client.get("/teams/acme/").content.decode()
    assert "<td>Operator (command line)</td>" in page and "operator <span" not in page
