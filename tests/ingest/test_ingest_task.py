"""Claiming, redelivery, failures and retries of the ingest, called directly
(the task is a thin wrapper) and once through a real worker."""

import os
import time
from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from tests import stored
from tests.ingest.support import ingest_now, upload_archive, zip_bytes, zip_with
from tests.samples import SMALLEST as SMALLEST_SAMPLE
from webapp.core.leases import LEASE_SECONDS, MAX_DELIVERIES
from webapp.runs import ingest, ingest_rows, storage, tasks
from webapp.runs.models import AnswerRow, Attempt, EventRow, Run, RunFile, VoteRow
from webapp.runs.services import do_import_folder
from webapp.runs.services import runs as runs_services

WORKER_WAIT_SECONDS = 60


def row_counts(run):
    return [model.objects.filter(run=run).count() for model in (Attempt, VoteRow, AnswerRow, EventRow, RunFile)]


@pytest.mark.django_db
def test_a_redelivered_task_does_nothing_to_a_ready_run(people, storage_dir):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest_now(run)
    counts, processed_at = row_counts(run), run.processed_at

    assert ingest.ingest_run(run.pk) is None
    tasks.ingest_run(str(run.pk))

    run.refresh_from_db()
    assert run.status == "ready" and run.processed_at == processed_at
    assert row_counts(run) == counts and all(counts)


@pytest.mark.django_db
def test_a_task_for_a_run_another_worker_is_processing_does_nothing(people, storage_dir):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    assert ingest.claim(run.pk) is not None
    assert ingest.ingest_run(run.pk) is None
    run.refresh_from_db()
    assert run.status == "processing" and row_counts(run) == [0] * 5


@pytest.mark.django_db
def test_a_run_whose_worker_died_is_taken_again_without_duplicate_rows(people, storage_dir):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest.claim(run.pk)  # the worker that claimed it was killed...
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))  # ...and stopped renewing
    (stored.run_dir(run) / "half-extracted").mkdir(parents=True)  # ...mid-extraction

    ingest_now(run)

    assert run.status == "ready", run.error
    assert not (stored.run_dir(run) / "half-extracted").exists()
    reference, _ = do_import_folder(people.team_b, SMALLEST_SAMPLE, enqueue=False)
    assert row_counts(run) == row_counts(ingest_now(reference))


@pytest.mark.django_db
def test_a_failure_while_storing_rows_leaves_a_failed_run_without_rows_or_files(people, storage_dir, monkeypatch):
    original = ingest_rows.RunRows.save

    def save_then_break(self, run, existing=None):
        original(self, run, existing)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ingest_rows.RunRows, "save", save_then_break)
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)

    ingest_now(run)

    assert run.status == "failed"
    assert "unexpected error" in run.error and "RuntimeError" in run.error
    assert row_counts(run) == [0] * 5 and run.summary is None and run.storage_path == ""
    assert not stored.run_dir(run).exists() and not stored.staging_dir(run).exists()


@pytest.mark.django_db
def test_a_transient_database_error_puts_the_run_back_for_a_retry(people, storage_dir, monkeypatch):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    def lose_the_database(*args, **kwargs):
        raise OperationalError("server closed the connection")

    monkeypatch.setattr(ingest, "store", lose_the_database)

    with pytest.raises(OperationalError):
        ingest.ingest_run(run.pk)

    run.refresh_from_db()
    assert run.status == "queued" and storage.find_staged(run.pk) is not None
    assert not stored.run_dir(run).exists()
    monkeypatch.undo()
    assert ingest_now(run).status == "ready"


def test_the_task_retries_only_transient_errors_within_time_limits():
    assert tasks.ingest_run.autoretry_for == ingest.TRANSIENT_ERRORS == (OperationalError, ingest.InterfaceError)
    assert tasks.ingest_run.soft_time_limit < tasks.ingest_run.time_limit == ingest.INGEST_TIME_LIMIT_SECONDS


@pytest.mark.django_db
def test_a_file_that_is_not_a_run_fails_with_a_message_a_person_understands(people, storage_dir):
    run, _ = upload_archive(people.team_a, people.alice, "notes.zip", zip_with({"notes/readme.txt": b"hello"}))
    ingest_now(run)
    assert run.status == "failed"
    assert run.error.startswith("This is not a MassGen run Debrief can read: notes.zip: holds no MassGen run")


@pytest.mark.django_db
def test_runs_whose_task_went_missing_are_sent_again(people, storage_dir, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(runs_services, "send_ingest", sent.append)
    stalled, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    Run.objects.filter(pk=stalled.pk).update(created_at=timezone.now() - timedelta(seconds=ingest.STALLED_QUEUE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.requeue_stalled_runs() == 1
    assert sent == [str(stalled.pk)]


@pytest.mark.django_db
def test_runs_whose_worker_died_mid_ingest_are_sent_again_once_their_claim_runs_out(people, storage_dir, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(runs_services, "send_ingest", sent.append)
    abandoned, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest.claim(abandoned.pk)
    Run.objects.filter(pk=abandoned.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    busy, _ = do_import_folder(people.team_b, SMALLEST_SAMPLE, enqueue=False)
    ingest.claim(busy.pk)  # a live worker's fresh claim is left alone
    with django_capture_on_commit_callbacks(execute=True):
        assert ingest.requeue_stalled_runs() == 1
    assert sent == [str(abandoned.pk)]


@pytest.mark.django_db
def test_a_delivery_that_finds_the_run_held_comes_back_when_the_claim_runs_out(people, storage_dir, monkeypatch):
    later = []
    monkeypatch.setattr(tasks.ingest_run, "apply_async", lambda args, countdown: later.append((args, countdown)))
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest.claim(run.pk)  # held by a worker that was killed a moment ago

    tasks.ingest_run(str(run.pk))

    [(args, countdown)] = later
    assert args == [str(run.pk)]
    assert LEASE_SECONDS - 5 < countdown <= LEASE_SECONDS + 1  # a minute, not the task's time limit


@pytest.mark.django_db
def test_a_delivery_for_a_finished_run_does_not_come_back(people, storage_dir, monkeypatch):
    later = []
    monkeypatch.setattr(tasks.ingest_run, "apply_async", lambda **kwargs: later.append(kwargs))
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest_now(run)
    tasks.ingest_run(str(run.pk))
    assert later == []


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_run_is_taken_to_ready_by_a_real_worker(celery_worker, people):
    run, created = upload_archive(people.team_a, people.alice, "run.zip", zip_bytes(SMALLEST_SAMPLE))
    assert created and run.status == "queued"
    deadline = time.monotonic() + WORKER_WAIT_SECONDS
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status in ("ready", "failed"):
            break
        time.sleep(0.2)
    assert run.status == "ready", f"{run.status} {run.error}\n{celery_worker.output()}"
    assert Attempt.objects.filter(run=run).count() == 1 and VoteRow.objects.filter(run=run).count() == 2
    assert not stored.staging_dir(run).exists()


@pytest.mark.django_db
def test_recovery_deletes_uploads_abandoned_mid_stream_and_keeps_fresh_ones(storage_dir):
    abandoned, fresh = storage.incoming_dir() / "upload-old.part", storage.incoming_dir() / "upload-new.part"
    abandoned.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = time.time() - tasks.ABANDONED_UPLOAD_SECONDS - 1
    os.utime(abandoned, (old, old))
    tasks.recover_runs()
    assert not abandoned.exists() and fresh.exists()


@pytest.mark.django_db
def test_recovery_deletes_work_folders_a_killed_worker_left_and_keeps_fresh_ones(storage_dir):
    abandoned, fresh = storage.work_dir() / "run-old", storage.work_dir() / "run-new"
    for folder in (abandoned, fresh):
        (folder / "log_1" / "turn_1").mkdir(parents=True)
        (folder / "log_1" / "turn_1" / "status.json").write_text("{}")
    old = time.time() - tasks.ABANDONED_UPLOAD_SECONDS - 1
    os.utime(abandoned, (old, old))
    tasks.recover_runs()
    assert not abandoned.exists() and fresh.exists()


def test_the_ingest_task_is_sent_by_its_registered_name():
    assert runs_services.INGEST_TASK == tasks.ingest_run.name


@pytest.mark.django_db
def test_a_run_that_keeps_killing_its_worker_fails_saying_so_instead_of_looping(people, storage_dir):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    Run.objects.filter(pk=run.pk).update(deliveries=MAX_DELIVERIES - 1)
    assert ingest_now(run).status == "ready"  # the MAX_DELIVERIES-th delivery still runs

    again, _ = do_import_folder(people.team_b, SMALLEST_SAMPLE, enqueue=False)
    Run.objects.filter(pk=again.pk).update(deliveries=MAX_DELIVERIES)
    failed = ingest_now(again)
    assert failed.status == "failed"
    assert failed.error.startswith(f"Gave up after {MAX_DELIVERIES} attempts: the worker stopped mid-way each time")


@pytest.mark.django_db
def test_an_ingest_held_by_a_live_worker_keeps_its_claim_while_it_works(people, storage_dir):
    run, _ = do_import_folder(people.team_a, SMALLEST_SAMPLE, enqueue=False)
    ingest.claim(run.pk)
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() + timedelta(seconds=2))
    assert ingest.WORK.renew(run.pk)
    renewed = Run.objects.get(pk=run.pk).lease_expires_at
    assert renewed > timezone.now() + timedelta(seconds=LEASE_SECONDS - 5)
    assert ingest.claim(run.pk) is None
