"""Browser uploads: an archive, or a log_* folder sent file by file with
relative paths; streamed to storage and capped while they arrive."""

import hashlib

import pytest

from django.test import Client

from tests import stored
from tests.ingest.support import (
    every_file,
    multipart,
    files_of,
    ingest_now,
    received,
    upload,
    upload_archive,
    upload_folder,
    zip_bytes,
)
from tests.samples import SMALLEST as SMALLEST_SAMPLE
from webapp.runs.models import Run
from webapp.runs.services import UploadRejected
from webapp.runs.uploads import StagedUpload, UploadTooLarge

pytestmark = pytest.mark.django_db


def test_an_upload_streams_into_storage_with_its_sha256(storage_dir):
    data = zip_bytes(SMALLEST_SAMPLE)
    [staged] = received([("file", "run.zip", data)], "file")
    assert isinstance(staged, StagedUpload)
    assert staged.size == len(data) and staged.head == data[:16]
    assert hashlib.sha256(data).hexdigest() == staged.sha256
    assert staged.temporary_file_path().startswith(str(storage_dir / "incoming"))
    staged.close()


def test_received_files_hold_no_open_descriptor(storage_dir):
    files = [("files", f"log_x/turn_1/file_{i}.txt", b"x" * i) for i in range(300)]
    staged = received(files, "files")
    assert len(staged) == 300 and all(upload.file.closed for upload in staged)
    assert [upload.path.read_bytes() for upload in staged[:3]] == [b"", b"x", b"xx"]
    for upload in staged:
        upload.close()
    assert list(every_file(storage_dir)) == []


def test_a_folder_sent_file_by_file_becomes_a_run_of_that_folder(people, storage_dir):
    run, created = upload_folder(people.team_a, people.alice, SMALLEST_SAMPLE)
    assert created and run.original_name == SMALLEST_SAMPLE.name and run.created_by == people.alice
    ingest_now(run)
    assert run.status == "ready", run.error
    assert run.session_id == SMALLEST_SAMPLE.name and run.vote_count == 2
    assert list(every_file(storage_dir / "incoming")) == []


def test_the_same_folder_sent_again_in_another_order_is_the_same_run(people, storage_dir):
    first, _ = upload_folder(people.team_a, people.alice, SMALLEST_SAMPLE)
    files = [("files", name, path.read_bytes()) for name, path in reversed(files_of(SMALLEST_SAMPLE))]
    again, created = upload(people.team_a, people.bob, files)
    assert not created and again.pk == first.pk and Run.objects.count() == 1


def test_the_same_archive_in_another_team_is_another_run(people, storage_dir):
    data = zip_bytes(SMALLEST_SAMPLE)
    mine, _ = upload_archive(people.team_a, people.alice, "run.zip", data)
    theirs, created = upload_archive(people.team_b, people.charlie, "run.zip", data)
    assert created and theirs.pk != mine.pk and theirs.sha256 == mine.sha256


@pytest.mark.parametrize("path", [
    "../escaped.txt",
    "log_x/../../escaped.txt",
    "/etc/passwd",
    "log_x\\..\\..\\escaped.txt",
    "C:/Windows/escaped.txt",
    "log_x//status.json",
    "log_x/./status.json",
    "log_x/" + "a" * 300,
])
def test_it_refuses_folder_paths_that_could_leave_the_folder(people, storage_dir, path):
    files = [("files", name, p.read_bytes()) for name, p in files_of(SMALLEST_SAMPLE)] + [("files", path, b"x")]
    with pytest.raises(UploadRejected):
        upload(people.team_a, people.alice, files)
    assert not Run.objects.exists()
    assert [p for p in every_file(storage_dir) if "incoming" not in p.parts] == []


def test_it_refuses_the_same_path_twice(people, storage_dir):
    files = [("files", "log_x/turn_1/a.txt", b"1"), ("files", "log_x/turn_1/a.txt", b"2")]
    with pytest.raises(UploadRejected, match="twice"):
        upload(people.team_a, people.alice, files)


def test_an_archive_exactly_at_the_limit_is_accepted(people, storage_dir, settings):
    data = zip_bytes(SMALLEST_SAMPLE)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data)
    run, created = upload_archive(people.team_a, people.alice, "run.zip", data)
    assert created and run.size_bytes == len(data)


def test_an_archive_one_byte_over_the_limit_is_refused_while_it_streams(people, storage_dir, settings):
    data = zip_bytes(SMALLEST_SAMPLE)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data) - 1
    with pytest.raises(UploadTooLarge) as refused:
        upload_archive(people.team_a, people.alice, "run.zip", data)
    assert str(len(data) - 1) in str(refused.value)
    assert not Run.objects.exists() and list(every_file(storage_dir)) == []


def test_the_limit_counts_every_file_of_a_folder(people, storage_dir, settings):
    files = [("files", name, path.read_bytes()) for name, path in files_of(SMALLEST_SAMPLE)]
    total = sum(len(data) for _, _, data in files)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = total
    assert upload(people.team_a, people.alice, files)[1]
    settings.DEBRIEF_MAX_UPLOAD_BYTES = total - 1
    with pytest.raises(UploadTooLarge):
        upload(people.team_b, people.charlie, files)
    assert not Run.objects.filter(team=people.team_b).exists()


@pytest.mark.urls("tests.ingest.urls")
def test_behind_the_csrf_middleware_a_too_large_upload_is_still_a_413(storage_dir, settings):
    client = Client(enforce_csrf_checks=True)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    files = [("files", "log_x/turn_1/a.txt", b"a" * 10), ("files", "log_x/turn_1/b.txt", b"b" * 10)]
    body, content_type = multipart(files, {"csrfmiddlewaretoken": token})

    settings.DEBRIEF_MAX_UPLOAD_BYTES = 20
    accepted = client.generic("POST", "/receive/", body, content_type=content_type)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = 19
    refused = client.generic("POST", "/receive/", body, content_type=content_type)

    assert accepted.status_code == 200 and accepted.content == b"log_x/turn_1/a.txt,log_x/turn_1/b.txt"
    assert refused.status_code == 413 and b"19 bytes" in refused.content
    assert list(every_file(storage_dir)) == []


def test_a_folder_of_exactly_the_file_limit_is_accepted_and_one_file_more_is_refused(people, storage_dir, settings):
    files = [("files", name, path.read_bytes()) for name, path in files_of(SMALLEST_SAMPLE)]
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = len(files)
    assert upload(people.team_a, people.alice, files)[1]
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = len(files) - 1
    with pytest.raises(UploadTooLarge, match=f"more files than the limit of {len(files) - 1}\\."):
        upload(people.team_b, people.charlie, files)
    assert not Run.objects.filter(team=people.team_b).exists()
    assert list(every_file(storage_dir / "incoming")) == []


@pytest.mark.parametrize(("setting", "limit", "fields", "message"), [
    ("DATA_UPLOAD_MAX_NUMBER_FIELDS", 3, {f"field{i}": "x" for i in range(10)}, "more form fields than the limit of 3."),
    ("DATA_UPLOAD_MAX_MEMORY_SIZE", 100, {"note": "x" * 200}, "form fields are larger than the limit of 100 bytes"),
])
def test_form_fields_over_djangos_limits_are_refused_like_too_many_bytes(storage_dir, settings, setting, limit, fields, message):
    setattr(settings, setting, limit)
    with pytest.raises(UploadTooLarge, match=message):
        received([("files", "log_x/turn_1/a.txt", b"a")], "files", fields)
    assert list(every_file(storage_dir)) == []


@pytest.mark.urls("tests.ingest.urls")
def test_behind_the_csrf_middleware_one_file_too_many_is_still_a_413(storage_dir, settings):
    # The token comes before the files, as in the page's form; it must survive the refusal.
    client = Client(enforce_csrf_checks=True)
    token = "a" * 32
    client.cookies["csrftoken"] = token
    files = [("files", "log_x/turn_1/a.txt", b"a"), ("files", "log_x/turn_1/b.txt", b"b")]
    body, content_type = multipart(files, {"csrfmiddlewaretoken": token})

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    accepted = client.generic("POST", "/receive/", body, content_type=content_type)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    refused = client.generic("POST", "/receive/", body, content_type=content_type)

    assert accepted.status_code == 200
    assert refused.status_code == 413 and b"more files than the limit of 1." in refused.content
    assert list(every_file(storage_dir)) == []


# --- folders MassGen's share leaves out: node_modules/, .venv/, workspace/ ---------------------

def with_skipped_copies(folder):
    """The sample's files plus what a real coding run drags along."""
    top = folder.name
    extra = [
        (f"{top}/turn_1/attempt_1/agent_outputs/workspace/app.py", b"print(1)"),
        (f"{top}/turn_1/attempt_1/node_modules/left-pad/index.js", b"module.exports = 1"),
        (f"{top}/turn_1/attempt_1/node_modules/left-pad/package.json", b"{}"),
        (f"{top}/.venv/lib/site.py", b""),
    ]
    return [("files", name, path.read_bytes()) for name, path in files_of(folder)] + [("files", n, d) for n, d in extra]


def test_a_folder_upload_leaves_out_node_modules_venv_and_workspace_and_says_so(people, storage_dir):
    run, created = upload(people.team_a, people.alice, with_skipped_copies(SMALLEST_SAMPLE))
    assert created and run.skipped_files == {"node_modules": 2, ".venv": 1, "workspace": 1}
    plain, _ = upload_folder(people.team_b, people.alice, SMALLEST_SAMPLE)
    assert run.sha256 == plain.sha256  # what is stored is the folder without them
    ingest_now(run)
    assert run.status == "ready", run.error
    assert not any(part in {"node_modules", ".venv", "workspace"} for path in every_file(stored.files_root(run)) for part in path.parts)


def test_a_folder_holding_only_skipped_folders_is_refused_naming_them(people, storage_dir):
    files = [("files", "log_x/node_modules/a.js", b"1"), ("files", "log_x/workspace/b.py", b"2")]
    with pytest.raises(UploadRejected, match="no files outside node_modules, workspace"):
        upload(people.team_a, people.alice, files)


def test_a_file_merely_named_like_a_skipped_folder_is_kept(people, storage_dir):
    files = [("files", name, path.read_bytes()) for name, path in files_of(SMALLEST_SAMPLE)]
    files.append(("files", f"{SMALLEST_SAMPLE.name}/turn_1/workspace", b"a file, not a folder"))
    run, _ = upload(people.team_a, people.alice, files)
    assert run.skipped_files == {}


def test_the_upload_page_answers_with_what_was_left_out(people, storage_dir):
    client = Client()
    client.force_login(people.alice)
    body, content_type = multipart(with_skipped_copies(SMALLEST_SAMPLE))
    response = client.generic("POST", "/runs/upload/", body, content_type=content_type, headers={"HX-Request": "true"})
    assert response.status_code == 201
    assert "Left out as `massgen share` does: 1 file under .venv/, 2 files under node_modules/, 1 file under workspace/." in (
        response.content.decode().replace("&#x60;", "`")
    )
