import pytest
from django.core.management import CommandError, call_command

from webapp.teams.models import Membership


def test_outsider_gets_404_on_another_teams_page(client, people):
    client.force_login(people.charlie)
    assert client.get("/teams/acme/").status_code == 404
    assert client.post("/teams/acme/members/", {"username": "charlie", "role": "owner"}).status_code == 404
    assert client.post("/teams/switch/", {"team": "acme"}).status_code == 404


def test_teammate_sees_the_team_page_but_cannot_manage_members(client, people):
    client.force_login(people.bob)
    response = client.get("/teams/acme/")
    assert response.status_code == 200
    assert b"alice" in response.content
    assert client.post("/teams/acme/members/", {"username": "charlie", "role": "member"}).status_code == 403


def test_owner_adds_a_member(client, people):
    client.force_login(people.alice)
    client.post("/teams/acme/members/", {"username": "charlie", "role": "viewer"})
    assert Membership.objects.get(team=people.team_a, user=people.charlie).role == "viewer"


def test_the_last_owner_cannot_leave(client, people):
    client.force_login(people.alice)
    own = Membership.objects.get(team=people.team_a, user=people.alice)
    response = client.post(f"/teams/acme/members/{own.pk}/", {"action": "remove"}, follow=True)
    assert b"A team needs at least one owner." in response.content
    assert Membership.objects.filter(pk=own.pk).exists()


def test_switching_team_changes_the_current_team(client, people):
    Membership.objects.create(team=people.team_b, user=people.alice, role="viewer")
    client.force_login(people.alice)
    client.post("/teams/switch/", {"team": "birch", "next": "/"})
    assert client.get("/").context["current_team"] == people.team_b


def test_anonymous_visitors_are_sent_to_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_createuser_prints_a_generated_password_once(capsys):
    call_command("createuser", "dana", "--team", "ops", "--role", "owner")
    out = capsys.readouterr().out
    assert "Created dana (owner) in new team ops." in out
    password = out.split("Password (shown once): ")[1].strip()
    from django.contrib.auth import authenticate

    assert authenticate(username="dana", password=password) is not None


@pytest.mark.django_db
def test_createuser_with_a_password_prints_none(capsys):
    call_command("createuser", "erin", "--team", "ops", "--password", "s3cret-enough-pass")
    assert "Password" not in capsys.readouterr().out


@pytest.mark.django_db
def test_createuser_refuses_a_bad_team_slug():
    with pytest.raises(CommandError, match="not a valid team slug"):
        call_command("createuser", "frank", "--team", "Bad Slug!")
