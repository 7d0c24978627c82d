"""Outsiders get 404 on every run URL; viewers read but never change."""

import pytest

from tests.factories import RunFactory
from tests.pages.conftest import make_coordinated_run, write_file
from webapp.runs.models import Run
from webapp.teams.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def alices_run(people):
    run = make_coordinated_run(people.team_a)
    write_file(run, "turn_1/attempt_1/status.json", b"{}")
    return run


@pytest.mark.parametrize("suffix", ["", "status/", "files/", "files/turn_1/attempt_1/status.json"])
def test_an_outsider_gets_404_on_every_page_of_the_run(client, people, alices_run, suffix):
    client.force_login(people.charlie)
    assert client.get(f"/runs/{alices_run.pk}/{suffix}").status_code == 404


def test_an_outsider_cannot_delete(client, people, alices_run):
    client.force_login(people.charlie)
    assert client.post(f"/runs/{alices_run.pk}/delete/").status_code == 404
    assert Run.objects.filter(pk=alices_run.pk).exists()


def test_an_outsider_does_not_see_the_run_in_their_list(client, people, alices_run):
    client.force_login(people.charlie)
    assert alices_run.title not in client.get("/runs/").content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, alices_run):
    response = client.get(f"/runs/{alices_run.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_member_deletes_a_run_with_a_post(client, people, alices_run):
    client.force_login(people.bob)
    page = client.get(f"/runs/{alices_run.pk}/").content.decode()
    assert f'action="/runs/{alices_run.pk}/delete/"' in page
    assert client.get(f"/runs/{alices_run.pk}/delete/").status_code == 405
    response = client.post(f"/runs/{alices_run.pk}/delete/")
    assert response.status_code == 302 and response.url == "/runs/"
    assert not Run.objects.filter(pk=alices_run.pk).exists()


def test_a_viewer_reads_but_cannot_delete_or_upload(client, people, alices_run):
    Membership.objects.filter(user=people.bob).update(role="viewer")
    client.force_login(people.bob)
    page = client.get(f"/runs/{alices_run.pk}/").content.decode()
    assert "Which protocol?" in page and "/delete/" not in page
    assert client.post(f"/runs/{alices_run.pk}/delete/").status_code == 403
    assert Run.objects.filter(pk=alices_run.pk).exists()
    assert "data-upload" not in client.get("/runs/upload/").content.decode()
    assert client.post("/runs/upload/", {}).status_code == 403
    assert client.post("/runs/folders/", {"path": "log_1"}).status_code == 403


def test_the_status_of_a_pending_run_is_for_members_only(client, people):
    run = RunFactory(team=people.team_a, status="queued")
    client.force_login(people.charlie)
    assert client.get(f"/runs/{run.pk}/status/").status_code == 404
