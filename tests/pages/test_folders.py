import shutil

import pytest
from django.test import override_settings

from tests.samples import SAMPLE_SESSIONS
from webapp.runs.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_root(tmp_path):
    root = tmp_path / "massgen_logs"
    for folder in SAMPLE_SESSIONS[:2]:
        shutil.copytree(folder, root / folder.name)
    with override_settings(DEBRIEF_LOG_ROOTS={"acme": root}):
        yield root


def test_sessions_are_listed_newest_first_with_an_import_button(client, people, log_root):
    client.force_login(people.bob)
    body = client.get("/runs/folders/").content.decode()
    names = sorted((folder.name for folder in SAMPLE_SESSIONS[:2]), reverse=True)
    assert body.index(names[0]) < body.index(names[1])
    assert body.count(">Import</button>") == 2


def test_importing_a_session_queues_a_run_and_marks_it_imported(client, people, log_root):
    client.force_login(people.bob)
    name = SAMPLE_SESSIONS[0].name
    response = client.post("/runs/folders/", {"path": name})
    run = Run.objects.get(team=people.team_a)
    assert response.status_code == 302 and response.url == f"/runs/{run.pk}/"
    assert run.source == "folder" and run.source_path == name
    body = client.get("/runs/folders/").content.decode()
    assert "imported" in body and f'href="/runs/{run.pk}/"' in body and body.count(">Import</button>") == 1


def test_a_path_outside_the_root_is_refused(client, people, log_root):
    client.force_login(people.bob)
    response = client.post("/runs/folders/", {"path": "../../etc"}, follow=True)
    assert not Run.objects.exists()
    assert "leaves its folder" in response.content.decode()


def test_a_team_without_a_folder_is_told_how_to_set_one(client, people):
    client.force_login(people.alice)
    with override_settings(DEBRIEF_LOG_ROOTS={}):
        body = client.get("/runs/folders/").content.decode()
    assert "DEBRIEF_LOG_ROOTS" in body


def test_viewers_see_the_sessions_without_import_buttons(client, people, log_root):
    from webapp.teams.models import Membership

    Membership.objects.filter(user=people.bob).update(role="viewer")
    client.force_login(people.bob)
    body = client.get("/runs/folders/").content.decode()
    assert SAMPLE_SESSIONS[0].name in body and "<button" not in body.split("<main")[1]
