"""API tokens: shown once, stored only as a hash, scoped by prefix, last use
recorded; the `debrief tokens` command; the /team/tokens/ page."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.api.conftest import bearer
from tests.factories import MembershipFactory, UserFactory
from webapp.api.models import ApiToken
from webapp.api.tokens import do_create_token

pytestmark = pytest.mark.django_db


def database_contains(text: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        return any(text in str(value) for row in cursor.fetchall() for value in row)


@pytest.mark.parametrize("scope", ["upload", "read", "full"])
def test_a_token_is_stored_only_as_its_hash_and_its_prefix_tells_its_scope(people, scope):
    token, plaintext = do_create_token(people.team_a, scope, "ci", people.alice)
    assert plaintext.startswith(f"dbr_{scope}_") and len(plaintext) > 40
    assert token.hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert not database_contains(plaintext) and not database_contains(plaintext[len(token.prefix):])
    assert token.display == f"dbr_{scope}_…{plaintext[-4:]}"


def test_a_token_records_its_last_use(client, people):
    token, plaintext = do_create_token(people.team_a, "read")
    assert token.last_used_at is None
    client.get("/api/v1/runs", headers=bearer(plaintext))
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_unknown_scope_is_refused(people):
    with pytest.raises(ValueError, match="scope"):
        do_create_token(people.team_a, "admin")


def test_the_command_prints_a_new_token_once_and_it_works(client, people):
    out, err = StringIO(), StringIO()
    call_command("tokens", "create", "--team", "acme", "--scope", "read", "--name", "nightly", stdout=out, stderr=err)
    plaintext = out.getvalue().strip()
    assert plaintext.startswith("dbr_read_") and "shown once" in err.getvalue()
    assert client.get("/api/v1/runs", headers=bearer(plaintext)).status_code == 200

    listing = StringIO()
    call_command("tokens", "list", "--team", "acme", stdout=listing)
    assert "nightly" in listing.getvalue() and plaintext not in listing.getvalue() and plaintext[-4:] in listing.getvalue()

    token = ApiToken.objects.get()
    call_command("tokens", "revoke", str(token.pk), stdout=StringIO())
    assert client.get("/api/v1/runs", headers=bearer(plaintext)).status_code == 401
    listing = StringIO()
    call_command("tokens", "list", "--team", "acme", stdout=listing)
    assert "revoked" in listing.getvalue()


def test_the_command_names_what_is_wrong(people):
    with pytest.raises(CommandError, match="No team"):
        call_command("tokens", "create", "--team", "nope", "--scope", "read")
    with pytest.raises(CommandError, match="No token"):
        call_command("tokens", "revoke", "999")


PAGE = "/team/tokens/"


def test_a_member_creates_a_token_and_sees_it_only_once(client, people):
    client.force_login(people.bob)
    created = client.post(PAGE, {"name": "ci", "scope": "upload"})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    plaintext = created.context["plaintext"]
    assert plaintext.startswith("dbr_upload_") and plaintext in created.content.decode()
    token = ApiToken.objects.get()
    assert token.team == people.team_a and token.created_by == people.bob
    page = client.get(PAGE).content.decode()
    assert plaintext not in page and token.display in page


def test_a_viewer_sees_the_tokens_but_cannot_create_or_revoke(client, people):
    token, _ = do_create_token(people.team_a, "read", "ci")
    viewer = MembershipFactory(team=people.team_a, user=UserFactory(username="vera"), role="viewer").user
    client.force_login(viewer)
    page = client.get(PAGE).content.decode()
    assert token.display in page and "Create a token" not in page
    assert client.post(PAGE, {"scope": "full"}).status_code == 403
    assert client.post(f"{PAGE}{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None


def test_an_owner_revokes_a_token(client, people):
    token, plaintext = do_create_token(people.team_a, "full")
    client.force_login(people.alice)
    client.post(f"{PAGE}{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get("/api/v1/runs", headers=bearer(plaintext)).status_code == 401


def test_an_outsider_neither_sees_nor_revokes_another_teams_tokens(client, people):
    token, _ = do_create_token(people.team_a, "full", "acme secret ci")
    client.force_login(people.charlie)
    assert "acme secret ci" not in client.get(PAGE).content.decode()
    assert client.post(f"{PAGE}{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
