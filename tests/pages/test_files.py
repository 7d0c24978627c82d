import pytest

from tests import stored
from tests.factories import RunFactory
from tests.pages.conftest import write_file
from webapp.runs.presenters import run_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_with_files(people):
    run = RunFactory(team=people.team_a)
    write_file(run, "turn_1/attempt_1/status.json", b'{"ok": true}')
    write_file(run, "turn_1/attempt_1/massgen.log", b"key=sk-abcdefghijklmnopqrstuvwxyz123456 <script>alert(1)</script>")
    return run


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_the_listing_shows_every_stored_file_by_folder(alice, run_with_files):
    body = alice.get(f"/runs/{run_with_files.pk}/files/").content.decode()
    assert "turn_1/attempt_1/" in body and "status.json" in body
    assert f'href="/runs/{run_with_files.pk}/files/turn_1/attempt_1/massgen.log"' in body


def test_a_file_is_shown_escaped_and_scrubbed(alice, run_with_files):
    response = alice.get(f"/runs/{run_with_files.pk}/files/turn_1/attempt_1/massgen.log")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "sk-abcdefghijklmnopqrstuvwxyz123456" not in body and "[REDACTED]" in body


@pytest.mark.parametrize("relpath", [
    "../../../../etc/passwd", "turn_1/../../secret", "%2e%2e/%2e%2e/etc/passwd", "/etc/passwd", "//etc/passwd",
    "turn_1/attempt_1/", "turn_1/./attempt_1/status.json", "nope.txt", "turn_1\\attempt_1\\status.json",
])
def test_paths_outside_the_run_are_404(alice, run_with_files, relpath):
    assert alice.get(f"/runs/{run_with_files.pk}/files/{relpath}").status_code == 404


def test_an_absolute_path_is_404_even_when_recorded(alice, run_with_files):
    from webapp.runs.models import RunFile

    RunFile.objects.create(run=run_with_files, path="/etc/passwd", size=10)
    assert alice.get(f"/runs/{run_with_files.pk}/files//etc/passwd").status_code == 404


def test_a_symlink_is_404_even_when_recorded(alice, run_with_files, tmp_path):
    from webapp.runs.models import RunFile

    outside = tmp_path / "outside.txt"
    outside.write_text("server secret")
    (stored.files_root(run_with_files) / "link.txt").symlink_to(outside)
    (stored.files_root(run_with_files) / "linkdir").symlink_to(tmp_path)
    RunFile.objects.create(run=run_with_files, path="link.txt", size=10)
    RunFile.objects.create(run=run_with_files, path="linkdir/outside.txt", size=10)
    assert alice.get(f"/runs/{run_with_files.pk}/files/link.txt").status_code == 404
    assert alice.get(f"/runs/{run_with_files.pk}/files/linkdir/outside.txt").status_code == 404


def test_big_files_are_cut_at_the_cap(alice, people, monkeypatch):
    monkeypatch.setattr(run_files, "FILE_VIEW_MAX_BYTES", 1000)
    run = RunFactory(team=people.team_a)
    write_file(run, "big.log", ("é" * 999).encode())  # 1998 bytes; the cut falls inside a character
    response = alice.get(f"/runs/{run.pk}/files/big.log")
    file = response.context["file"]
    assert file.truncated and file.text == "é" * 500
    assert "Showing the first" in response.content.decode()


def test_binary_files_are_not_shown(alice, people):
    run = RunFactory(team=people.team_a)
    write_file(run, "image.png", b"\x89PNG\x00\x00binary")
    assert "A binary file" in alice.get(f"/runs/{run.pk}/files/image.png").content.decode()


def test_htmx_gets_only_the_text_rendered_with_its_raw_source(alice, run_with_files):
    url = f"/runs/{run_with_files.pk}/files/turn_1/attempt_1/status.json"
    response = alice.get(url, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.strip().startswith('<div class="rendered') and "<html" not in body
    assert '<pre class="raw-text">' in body
    assert "HX-Request" in response["Vary"]


def test_each_folder_is_listed_once_with_its_own_files(alice, people):
    run = RunFactory(team=people.team_a)
    for path in ("t/a/x.txt", "t/c.txt", "t/d/y.txt", "t/e.txt"):
        write_file(run, path, b"x")
    listing = alice.get(f"/runs/{run.pk}/files/").context["files"]
    assert [file.path for file in listing] == ["t/c.txt", "t/e.txt", "t/a/x.txt", "t/d/y.txt"]
