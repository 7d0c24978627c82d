"""Hostile uploads end as a failed run (or a refused upload) with a message
that says what was wrong, and nothing is written outside storage."""

import pytest

from tests import stored
from tests.ingest.support import (
    every_file,
    ingest_now,
    tar_gz_with_symlink,
    upload_archive,
    zip_bomb,
    zip_bytes,
    zip_with,
    zip_with_symlink,
)
from tests.samples import SMALLEST as SMALLEST_SAMPLE
from webapp.runs.models import Attempt, Run, RunFile
from webapp.runs.services import UploadRejected

pytestmark = pytest.mark.django_db


def fails_cleanly(run, tmp_path, storage_dir, *phrases):
    ingest_now(run)
    assert run.status == "failed"
    assert run.error.startswith("The archive was refused: "), run.error
    for phrase in phrases:
        assert phrase in run.error
    assert not Attempt.objects.filter(run=run).exists() and not RunFile.objects.filter(run=run).exists()
    assert not stored.run_dir(run).exists() and not stored.staging_dir(run).exists()
    written = [path for path in every_file(tmp_path) if not path.is_relative_to(storage_dir)]
    assert written == []
    assert [path for path in every_file(storage_dir)] == []


def test_it_rejects_zip_slip(people, storage_dir, tmp_path):
    data = zip_with({"../../../../../../escaped.txt": b"gotcha", "log_x/../../escaped2.txt": b"gotcha"}, SMALLEST_SAMPLE)
    run, _ = upload_archive(people.team_a, people.alice, "slip.zip", data)
    fails_cleanly(run, tmp_path, storage_dir, "slip.zip", "would be written outside the destination")


def test_it_rejects_an_absolute_member_path(people, storage_dir, tmp_path):
    data = zip_with({str(tmp_path / "absolute.txt"): b"gotcha"}, SMALLEST_SAMPLE)
    run, _ = upload_archive(people.team_a, people.alice, "absolute.zip", data)
    fails_cleanly(run, tmp_path, storage_dir, "outside the destination")


@pytest.mark.parametrize("maker,name", [(zip_with_symlink, "link.zip"), (tar_gz_with_symlink, "link.tar.gz")])
def test_it_rejects_a_symlink_member(people, storage_dir, tmp_path, maker, name):
    data = maker(SMALLEST_SAMPLE, f"{SMALLEST_SAMPLE.name}/turn_1/attempt_1/status.json.link", "/etc/passwd")
    run, _ = upload_archive(people.team_a, people.alice, name, data)
    fails_cleanly(run, tmp_path, storage_dir, "symlink")


def test_it_rejects_a_zip_bomb(people, storage_dir, tmp_path):
    run, _ = upload_archive(people.team_a, people.alice, "bomb.zip", zip_bomb())
    fails_cleanly(run, tmp_path, storage_dir, "MAX_COMPRESSION_RATIO")


def test_a_truncated_archive_fails_with_a_message_a_person_understands(people, storage_dir):
    data = zip_bytes(SMALLEST_SAMPLE)
    run, _ = upload_archive(people.team_a, people.alice, "cut.zip", data[: len(data) // 2])
    ingest_now(run)
    assert run.status == "failed" and "cut.zip" in run.error and "not a readable archive" in run.error


@pytest.mark.parametrize("name,data", [
    ("run.zip", b"this is not a zip file at all"),
    ("run.tar.gz", b"PK\x03\x04 a zip named like a tarball"),
    ("run.rar", b"Rar!\x1a\x07\x00"),
    ("run.exe", b"MZ"),
])
def test_it_refuses_an_upload_that_is_not_an_archive(people, storage_dir, name, data):
    with pytest.raises(UploadRejected, match="archive"):
        upload_archive(people.team_a, people.alice, name, data)
    assert not Run.objects.exists()
    assert [path for path in every_file(storage_dir)] == []

