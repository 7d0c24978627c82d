import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from tests.pages.conftest import zip_folder
from tests.samples import SAMPLE_SESSIONS
from webapp.runs.models import Run

pytestmark = pytest.mark.django_db

SAMPLE = SAMPLE_SESSIONS[0]


@pytest.fixture
def bob(client, people):
    client.force_login(people.bob)
    return client


@pytest.fixture
def sample_zip(tmp_path):
    return zip_folder(SAMPLE, tmp_path / f"{SAMPLE.name}.zip")


def test_the_upload_page_has_archive_and_folder_pickers(bob):
    body = bob.get("/runs/upload/").content.decode()
    assert 'name="file"' in body and 'name="files"' in body and "webkitdirectory" in body
    assert 'enctype="multipart/form-data"' in body and "js/upload.js" in body


def test_a_plain_form_upload_redirects_to_the_queued_run(bob, people, sample_zip):
    with open(sample_zip, "rb") as handle:
        response = bob.post("/runs/upload/", {"file": handle})
    run = Run.objects.get(team=people.team_a)
    assert response.status_code == 302 and response.url == f"/runs/{run.pk}/"
    assert run.status == "queued" and run.original_name == sample_zip.name and run.created_by == people.bob


def test_an_upload_from_the_script_gets_the_polling_status(bob, sample_zip):
    with open(sample_zip, "rb") as handle:
        response = bob.post("/runs/upload/", {"file": handle}, headers={"HX-Request": "true"})
    run = Run.objects.get()
    body = response.content.decode()
    assert response.status_code == 201 and "<html" not in body
    assert f'hx-get="/runs/{run.pk}/status/"' in body and f'href="/runs/{run.pk}/"' in body
    with open(sample_zip, "rb") as handle:
        again = bob.post("/runs/upload/", {"file": handle}, headers={"HX-Request": "true"})
    assert again.status_code == 200 and "already uploaded" in again.content.decode() and Run.objects.count() == 1


def multipart(field: str, files: list[tuple[str, bytes]], boundary: str = "debrief-test-boundary") -> bytes:
    """A multipart body whose filenames are whole relative paths, as upload.js
    sends them (Django's test client would keep only the last component)."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n"
        for name, content in files
    ]
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_a_folder_upload_keeps_each_files_relative_path(bob, people):
    files = [(f"{SAMPLE.name}/{path.relative_to(SAMPLE).as_posix()}", path.read_bytes())
             for path in sorted(SAMPLE.rglob("*")) if path.is_file()]
    response = bob.generic("POST", "/runs/upload/", multipart("files", files),
                           content_type="multipart/form-data; boundary=debrief-test-boundary", headers={"HX-Request": "true"})
    assert response.status_code == 201, response.content.decode()
    assert Run.objects.get(team=people.team_a).original_name == SAMPLE.name


def test_a_folder_path_leaving_the_folder_is_refused(bob):
    response = bob.generic("POST", "/runs/upload/", multipart("files", [("log_1/../../etc/passwd", b"x")]),
                           content_type="multipart/form-data; boundary=debrief-test-boundary", headers={"HX-Request": "true"})
    assert response.status_code == 400 and "leaves its folder" in response.content.decode()
    assert not Run.objects.exists()


def test_an_upload_over_the_limit_is_413_naming_the_limit(bob, sample_zip):
    with override_settings(DEBRIEF_MAX_UPLOAD_BYTES=1024):
        with open(sample_zip, "rb") as handle:
            plain = bob.post("/runs/upload/", {"file": handle})
        with open(sample_zip, "rb") as handle:
            scripted = bob.post("/runs/upload/", {"file": handle}, headers={"HX-Request": "true"})
    assert plain.status_code == 413 and "larger than the limit of 1024 bytes" in plain.content.decode()
    assert scripted.status_code == 413 and "data-upload-error" in scripted.content.decode()
    assert not Run.objects.exists()


def test_a_file_that_is_not_an_archive_is_refused_clearly(bob):
    fake = SimpleUploadedFile("run.zip", b"this is not a zip")
    response = bob.post("/runs/upload/", {"file": fake}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert "not one" in response.content.decode() and "data-upload-error" in response.content.decode()


def test_nothing_sent_is_refused(bob):
    response = bob.post("/runs/upload/", {})
    assert response.status_code == 400 and "No file was sent" in response.content.decode()


@pytest.mark.parametrize("scripted", [True, False], ids=["upload.js", "plain form"])
def test_a_folder_at_the_file_limit_is_accepted_and_one_file_more_is_413_naming_the_limit(bob, people, settings, scripted):
    files = [(f"{SAMPLE.name}/{path.relative_to(SAMPLE).as_posix()}", path.read_bytes())
             for path in sorted(SAMPLE.rglob("*")) if path.is_file()]
    body = multipart("files", files)
    post = dict(content_type="multipart/form-data; boundary=debrief-test-boundary",
                headers={"HX-Request": "true"} if scripted else {})

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = len(files) - 1
    refused = bob.generic("POST", "/runs/upload/", body, **post)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = len(files)
    accepted = bob.generic("POST", "/runs/upload/", body, **post)

    page = refused.content.decode()
    assert refused.status_code == 413 and f"more files than the limit of {len(files) - 1}." in page
    assert "data-upload-error" in page and ("<html" not in page) == scripted
    assert accepted.status_code == (201 if scripted else 302)
    assert Run.objects.filter(team=people.team_a).count() == 1


def test_the_upload_form_states_both_limits_for_the_script_to_check(bob, settings):
    settings.DEBRIEF_MAX_UPLOAD_BYTES, settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1024 * 1024, 1234
    body = bob.get("/runs/upload/").content.decode()
    assert 'data-max-bytes="1048576"' in body and 'data-max-files="1234"' in body
    assert "Up to 1.0\xa0MB and 1,234 files per upload." in body
