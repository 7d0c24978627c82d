"""Runs kept in an S3-compatible bucket (DEBRIEF_STORAGE_URL=s3://bucket/prefix),
against moto's real HTTP server on 127.0.0.1: ingest leaves the run's files in
the bucket and nothing on this machine, the file viewer, the analysis input, a
re-read and the joining of a `--continue` run work on the bucket, and deleting a
run deletes its objects."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client

from analysis.digest import build_digest
from analysis.massgen import read_session
from analysis.offline.checks import digest_findings
from tests.continuations import FOLLOW_UP_NAME, ORIGINAL, continuation
from tests.factories import RunFactory
from tests.ingest.support import every_file, ingest_now, upload_archive, zip_bytes, zip_with
from tests.pages.conftest import write_file
from tests.samples import SMALLEST as SMALLEST_SAMPLE
from webapp.api.tokens import do_create_token
from webapp.env import Env
from webapp.llm.services import digest_for_run
from webapp.runs import storage
from webapp.runs.models import Run, RunFile
from webapp.runs.presenters import run_files
from webapp.runs.reading import reread_run
from webapp.runs.services import do_delete_run, do_import_folder
from webapp.runs.stores import S3Store

PREFIX = "deployments/acme"


@pytest.fixture
def bucket(settings, s3_server, tmp_path):
    """A bucket of this test's own as the store, and a local folder that must stay empty."""
    name = s3_server.new_bucket()
    local, entry = Env(s3_server.environment(name, PREFIX) | {"DEBRIEF_STORAGE_DIR": str(tmp_path / "local")}).runs_storage(tmp_path)
    local.mkdir()
    settings.DEBRIEF_STORAGE_DIR = local
    settings.STORAGES = {**settings.STORAGES, "default": entry}
    assert isinstance(storage.store(), S3Store)
    return SimpleNamespace(name=name, local=local, keys=lambda prefix="": s3_server.keys(name, f"{PREFIX}/{prefix}"),
                           client=s3_server.client())


def stored_keys(run: Run) -> set[str]:
    return {f"{PREFIX}/{run.storage_path}/{path}" for path in RunFile.objects.filter(run=run).values_list("path", flat=True)}


@pytest.mark.django_db
def test_an_ingested_run_is_in_the_bucket_and_nothing_of_it_on_this_machine(people, bucket):
    run, created = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    assert created and len(bucket.keys("staging/")) == 1 and every_file(bucket.local) == []

    run = ingest_now(run)

    assert run.status == "ready", run.error
    assert run.storage_path.startswith(f"{people.team_a.pk}/{run.pk}/")
    assert set(bucket.keys()) == stored_keys(run) and len(stored_keys(run)) > 3
    assert bucket.keys("staging/") == [] and every_file(bucket.local) == []


@pytest.mark.django_db
def test_an_uploaded_archive_is_staged_in_the_bucket_and_ingested_from_it(people, bucket):
    run, _ = upload_archive(people.team_a, people.alice, "run.zip", zip_bytes(SMALLEST_SAMPLE))
    assert bucket.keys("staging/") == [f"{PREFIX}/staging/{run.pk}/run.zip"] and every_file(bucket.local) == []
    assert ingest_now(run).status == "ready", run.error
    assert set(bucket.keys()) == stored_keys(run) and every_file(bucket.local) == []


@pytest.mark.django_db
def test_a_run_that_cannot_be_read_leaves_no_object(people, bucket):
    run, _ = upload_archive(people.team_a, people.alice, "notes.zip", zip_with({"notes.txt": b"not a run"}))
    assert ingest_now(run).status == "failed"
    assert bucket.keys() == [] and every_file(bucket.local) == []


@pytest.mark.django_db
def test_the_analysis_input_is_read_from_the_bucket_as_from_the_folder(people, bucket):
    run = ingest_now(do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)[0])

    digest = digest_for_run(run)

    assert digest.input == build_digest(read_session(SMALLEST_SAMPLE), findings=digest_findings).input
    assert every_file(bucket.local) == []


@pytest.mark.django_db
def test_deleting_a_run_deletes_its_objects_and_no_one_elses(people, bucket, django_capture_on_commit_callbacks):
    kept = ingest_now(do_import_folder(people.team_b, SMALLEST_SAMPLE, enqueue=False)[0])
    run = ingest_now(do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)[0])

    with django_capture_on_commit_callbacks(execute=True):
        do_delete_run(run)

    assert set(bucket.keys()) == stored_keys(kept)


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


@pytest.mark.django_db
def test_the_file_viewer_streams_from_the_bucket_up_to_the_cap(alice, people, bucket, monkeypatch):
    monkeypatch.setattr(run_files, "FILE_VIEW_MAX_BYTES", 1000)
    run = RunFactory(team=people.team_a)
    write_file(run, "logs/big.log", ("é" * 999).encode())  # 1998 bytes; the cut falls inside a character
    write_file(run, "logs/exact.log", b"x" * 1000)
    assert bucket.keys() == [f"{PREFIX}/{run.storage_path}/logs/big.log", f"{PREFIX}/{run.storage_path}/logs/exact.log"]

    big = alice.get(f"/runs/{run.pk}/files/logs/big.log").context["file"]
    exact = alice.get(f"/runs/{run.pk}/files/logs/exact.log").context["file"]

    assert big.truncated and big.size == 1998 and big.text == "é" * 500
    assert not exact.truncated and exact.text == "x" * 1000
    assert alice.get(f"/runs/{run.pk}/raw/logs/exact.log").content == b"x" * 1000


@pytest.mark.django_db
def test_the_file_viewer_serves_only_recorded_files_and_only_to_members(alice, client, people, bucket):
    run = RunFactory(team=people.team_a)
    write_file(run, "a.txt", b"hello")
    storage.store().save(f"{run.storage_path}/unrecorded.txt", ContentFile(b"not indexed"))
    assert alice.get(f"/runs/{run.pk}/files/a.txt").status_code == 200
    assert alice.get(f"/runs/{run.pk}/files/unrecorded.txt").status_code == 404
    RunFile.objects.create(run=run, path="gone.txt", size=3)  # recorded, but not in the bucket
    assert alice.get(f"/runs/{run.pk}/files/gone.txt").status_code == 404
    client.force_login(people.charlie)
    assert client.get(f"/runs/{run.pk}/files/a.txt").status_code == 404


def test_a_large_file_goes_up_in_parts(bucket, tmp_path):
    large = tmp_path / "large.tar.gz"
    large.write_bytes(b"\x1f\x8b" + b"\0" * (9 * 1024 * 1024))  # past boto3's 8 MiB multipart threshold
    name = storage.stage("0f0f0f0f-0000-0000-0000-000000000000", "large.tar.gz", large)
    head = bucket.client.head_object(Bucket=bucket.name, Key=f"{PREFIX}/{name}")
    assert "-" in head["ETag"] and head["ContentLength"] == 9 * 1024 * 1024 + 2  # a multipart ETag ends in -<parts>
    assert not large.exists()


@pytest.mark.django_db
def test_a_continuation_uploaded_later_joins_its_run_in_the_bucket(people, bucket, tmp_path):
    head = ingest_now(upload_archive(people.team_a, people.alice, "original.zip", zip_bytes(ORIGINAL))[0])
    later = ingest_now(upload_archive(people.team_a, people.bob, "follow-up.zip", zip_bytes(continuation(tmp_path)))[0])

    head.refresh_from_db()
    later.refresh_from_db()
    assert later.continues_id == head.pk and head.turn_count == 2
    assert RunFile.objects.filter(run=head, path__startswith=f"{FOLLOW_UP_NAME}/turn_2/").exists()
    # The head's objects are exactly its files, moved below one folder for both sessions.
    head_keys = {key for key in bucket.keys(f"{people.team_a.pk}/{head.pk}/")}
    assert head_keys == stored_keys(head)
    assert every_file(bucket.local) == []
    page = Client()
    page.force_login(people.alice)
    path = RunFile.objects.filter(run=head, path__startswith=f"{FOLLOW_UP_NAME}/turn_2/").values_list("path", flat=True)[0]
    assert page.get(f"/runs/{head.pk}/files/{path}").status_code == 200


@pytest.mark.django_db
def test_a_reread_reads_the_run_from_the_bucket_and_writes_it_back(people, bucket):
    run = ingest_now(do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)[0])
    before = set(bucket.keys())

    run = reread_run(run)

    assert run.status == "ready" and set(bucket.keys()) == before == stored_keys(run)
    assert every_file(bucket.local) == []


@pytest.mark.django_db
def test_prune_older_than_0_removes_the_run_its_api_url_and_its_objects(people, bucket, django_capture_on_commit_callbacks):
    """#17's check: `debrief runs prune --team acme --older-than 0` on a bucket."""
    kept = ingest_now(do_import_folder(people.team_b, SMALLEST_SAMPLE, enqueue=False)[0])
    run = ingest_now(do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)[0])
    _, secret = do_create_token(people.team_a, "read", name="check")

    with django_capture_on_commit_callbacks(execute=True):
        call_command("runs", "prune", "--team", people.team_a.slug, "--older-than", "0")

    assert Client().get(f"/api/v1/runs/{run.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 404
    assert set(bucket.keys()) == stored_keys(kept)
