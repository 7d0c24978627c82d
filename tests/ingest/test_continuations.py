"""A `massgen --continue` run uploaded on its own, later (or before) the run it
continues: joined with that run in the same team, never across teams, and the
same however often it is uploaded. Through the service functions, the upload +
ingest path, and the API with a real worker."""

from __future__ import annotations

import time

import pytest

from tests import stored
from tests.ingest.test_ingest_task import WORKER_WAIT_SECONDS
from tests.api.conftest import bearer
from tests.continuations import FOLLOW_UP_NAME, FOLLOW_UP_QUESTION, ORIGINAL, SESSION_ID, continuation, writable_copy
from tests.factories import AnalysisFactory
from tests.ingest.support import ingest_now, upload_archive, zip_bytes
from webapp.analyses.models import Analysis
from webapp.runs.continuations import join_session
from webapp.runs.models import Attempt, Run, RunFile

pytestmark = pytest.mark.django_db


def _upload(team, user, folder, name=None):
    run, created = upload_archive(team, user, name or f"{folder.name}.zip", zip_bytes(folder))
    return ingest_now(run), created


@pytest.fixture
def follow_up(tmp_path):
    return continuation(tmp_path)


def test_a_continuation_alone_records_the_session_it_continues(people, storage_dir, follow_up):
    run, _ = _upload(people.team_a, people.alice, follow_up)
    assert run.status == "ready", run.error
    assert (run.massgen_session_id, run.continues_session_id) == (SESSION_ID, SESSION_ID)
    assert run.summary["continues_session_id"] == SESSION_ID
    assert run.continues is None  # the run it continues is not here yet
    assert list(Attempt.objects.filter(run=run).values_list("turn", flat=True)) == [2]


def test_a_continuation_uploaded_later_joins_the_run_it_continues(people, storage_dir, follow_up):
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    assert (head.massgen_session_id, head.continues_session_id, head.turn_count) == (SESSION_ID, "", 1)

    later, _ = _upload(people.team_a, people.bob, follow_up)

    head.refresh_from_db()
    assert later.continues_id == head.pk
    assert head.turn_count == 2 and [turn["turn"] for turn in head.summary["turns"]] == [1, 2]
    assert sorted(Attempt.objects.filter(run=head).values_list("turn", flat=True)) == [1, 2]
    second = Attempt.objects.get(run=head, turn=2)
    assert second.question == FOLLOW_UP_QUESTION and second.winner == "gpt-5-mini"
    # Both stored folders are now the head's session, with their files browsable.
    assert RunFile.objects.filter(run=head, path__startswith=f"{FOLLOW_UP_NAME}/turn_2/").exists()
    assert RunFile.objects.filter(run=head, path__startswith=f"{ORIGINAL.name}/turn_1/").exists()
    assert (stored.files_root(head) / FOLLOW_UP_NAME / "turn_2" / "attempt_1" / "status.json").is_file()
    # The continuation stays a run of its own (its upload's id keeps working).
    assert list(Attempt.objects.filter(run=later).values_list("turn", flat=True)) == [2]
    assert list(head.continuations.all()) == [later]


def test_a_continuation_uploaded_first_is_joined_when_the_run_it_continues_arrives(people, storage_dir, follow_up):
    early, _ = _upload(people.team_a, people.alice, follow_up)
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    early.refresh_from_db()
    assert early.continues_id == head.pk and head.turn_count == 2


@pytest.mark.parametrize("continuation_first", [False, True], ids=["head-first", "continuation-first"])
def test_an_outsiders_continuation_never_attaches_to_another_teams_run(people, storage_dir, follow_up, continuation_first):
    if continuation_first:
        outsider, _ = _upload(people.team_b, people.charlie, follow_up)
        head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    else:
        head, _ = _upload(people.team_a, people.alice, ORIGINAL)
        outsider, _ = _upload(people.team_b, people.charlie, follow_up)
    head.refresh_from_db()
    outsider.refresh_from_db()
    assert outsider.status == "ready" and outsider.continues is None
    assert head.turn_count == 1 and not head.continuations.exists()
    assert not RunFile.objects.filter(run=head, path__contains=FOLLOW_UP_NAME).exists()


def test_uploading_the_continuation_again_changes_nothing_and_keeps_analyses(people, storage_dir, follow_up):
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    first_attempt = Attempt.objects.get(run=head, turn=1)
    analysis = AnalysisFactory(run=head, attempt=first_attempt)
    later, _ = _upload(people.team_a, people.alice, follow_up)
    head.refresh_from_db()
    files = sorted(RunFile.objects.filter(run=head).values_list("path", flat=True))

    again, created = _upload(people.team_a, people.alice, follow_up)
    assert not created and again.pk == later.pk
    join_session(later)  # joining once more is harmless

    head.refresh_from_db()
    assert head.turn_count == 2
    assert sorted(RunFile.objects.filter(run=head).values_list("path", flat=True)) == files
    assert Attempt.objects.get(run=head, turn=1).pk == first_attempt.pk
    assert Analysis.objects.filter(pk=analysis.pk, attempt=first_attempt).exists()


def test_a_continuation_already_uploaded_together_with_its_session_is_only_linked(people, storage_dir, tmp_path, follow_up):
    both = tmp_path / "both"
    writable_copy(ORIGINAL, both / ORIGINAL.name)
    continuation(both)
    together, _ = _upload(people.team_a, people.alice, both, "both.zip")
    assert together.turn_count == 2 and together.massgen_session_id == SESSION_ID
    files = RunFile.objects.filter(run=together).count()

    alone, _ = _upload(people.team_a, people.alice, follow_up)

    together.refresh_from_db()
    assert alone.continues_id == together.pk
    assert together.turn_count == 2 and RunFile.objects.filter(run=together).count() == files


def test_a_continuation_of_another_session_is_not_joined(people, storage_dir, tmp_path):
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    other, _ = _upload(people.team_a, people.alice, continuation(tmp_path, session_id="session_20261124_090000"))
    head.refresh_from_db()
    assert other.continues is None and head.turn_count == 1


def test_the_api_shows_the_link_both_ways(people, storage_dir, client, follow_up):
    from webapp.api.tokens import do_create_token

    token = do_create_token(people.team_a, "read", "ci", people.alice)[1]
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    later, _ = _upload(people.team_a, people.alice, follow_up)
    shown = client.get(f"/api/v1/runs/{head.pk}", headers=bearer(token)).json()
    assert shown["continued_by"] == [str(later.pk)] and shown["continues"] is None
    assert shown["massgen_session_id"] == SESSION_ID
    assert [turn["turn"] for turn in shown["summary"]["turns"]] == [1, 2]
    listed = client.get("/api/v1/runs", headers=bearer(token)).json()["results"]
    assert {item["id"]: item["continues"] for item in listed} == {str(head.pk): None, str(later.pk): str(head.pk)}


@pytest.mark.django_db(transaction=True)
def test_a_continuation_sent_later_through_the_api_is_joined_by_a_real_worker(celery_worker, people, client, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from webapp.api.tokens import do_create_token

    token = do_create_token(people.team_a, "full", "ci", people.alice)[1]

    def send(folder):
        response = client.post("/api/v1/runs", {"file": SimpleUploadedFile(f"{folder.name}.zip", zip_bytes(folder))}, headers=bearer(token))
        assert response.status_code == 201, response.content
        run = Run.objects.get(pk=response.json()["id"])
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while run.status not in ("ready", "failed") and time.monotonic() < deadline:
            time.sleep(0.2)
            run.refresh_from_db()
        assert run.status == "ready", f"{run.status} {run.error}\n{celery_worker.output()}"
        return run

    head = send(ORIGINAL)
    later = send(continuation(tmp_path))
    shown = client.get(f"/api/v1/runs/{head.pk}", headers=bearer(token)).json()
    assert shown["continued_by"] == [str(later.pk)]
    assert [turn["turn"] for turn in shown["summary"]["turns"]] == [1, 2]
    assert client.get(f"/api/v1/runs/{later.pk}", headers=bearer(token)).json()["continues"] == str(head.pk)


def test_both_run_pages_link_to_each_other_for_the_team_only(people, storage_dir, client, follow_up):
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    later, _ = _upload(people.team_a, people.alice, follow_up)
    client.force_login(people.bob)
    page = client.get(f"/runs/{head.pk}/").content.decode()
    assert 'id="session-continued-by"' in page and f'href="/runs/{later.pk}/"' in page
    page = client.get(f"/runs/{later.pk}/").content.decode()
    assert 'id="session-continues"' in page and f'href="/runs/{head.pk}/"' in page
    client.force_login(people.charlie)
    assert client.get(f"/runs/{head.pk}/").status_code == 404
    assert client.get(f"/runs/{later.pk}/").status_code == 404


def test_a_run_archived_without_its_log_folder_is_joined_too(people, storage_dir, follow_up):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(ORIGINAL.rglob("*")):
            if path.is_file():
                bundle.write(path, path.relative_to(ORIGINAL).as_posix())  # turn_1/… at the top
    head, _ = upload_archive(people.team_a, people.alice, "session.zip", buffer.getvalue())
    head = ingest_now(head)
    assert head.session_id == "session" and stored.files_root(head).name == str(head.pk)

    later, _ = _upload(people.team_a, people.alice, follow_up)

    head.refresh_from_db()
    assert later.continues_id == head.pk and head.turn_count == 2 and head.session_id == "session"
    assert RunFile.objects.filter(run=head, path="session/turn_1/attempt_1/status.json").exists()
    assert (stored.files_root(head) / "session" / "turn_1" / "attempt_1" / "status.json").is_file()


def test_a_join_gives_the_run_a_new_estimate_cache_identity(people, storage_dir, follow_up):
    from webapp.llm.services import run_material

    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    before = run_material(head).cache_id
    _upload(people.team_a, people.alice, follow_up)
    head.refresh_from_db()
    assert run_material(head).cache_id != before  # its digest now has the file paths of a joined session


def test_a_second_copy_of_the_first_run_does_not_take_a_joined_continuation_away(people, storage_dir, follow_up):
    from tests.ingest.support import upload_folder

    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    later, _ = _upload(people.team_a, people.alice, follow_up)
    copy, created = upload_folder(people.team_a, people.alice, ORIGINAL)  # the same run, other bytes
    copy = ingest_now(copy)
    later.refresh_from_db()
    assert created and copy.status == "ready" and copy.pk != head.pk
    assert later.continues_id == head.pk and copy.turn_count == 1


def test_continuations_arriving_out_of_order_all_join_in_turn_order(people, storage_dir, tmp_path):
    third = continuation(tmp_path / "3", name="log_20261124_045200_000000", turn=3)
    second = continuation(tmp_path / "2")
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    _upload(people.team_a, people.alice, third)
    _upload(people.team_a, people.alice, second)
    head.refresh_from_db()
    assert [turn["turn"] for turn in head.summary["turns"]] == [1, 2, 3]
    assert head.continuations.count() == 2


def test_a_continuation_repeating_some_turns_of_the_run_is_not_joined(people, storage_dir, tmp_path, follow_up):
    head, _ = _upload(people.team_a, people.alice, ORIGINAL)
    _upload(people.team_a, people.alice, follow_up)
    overlapping = continuation(tmp_path / "x", name="log_20261124_045300_000000")  # turn 2 again, another run
    other, _ = _upload(people.team_a, people.alice, overlapping)
    head.refresh_from_db()
    assert other.status == "ready" and other.continues is None
    assert [turn["turn"] for turn in head.summary["turns"]] == [1, 2] and head.continuations.count() == 1


def test_a_session_uploaded_together_takes_a_later_turn_beside_its_runs(people, storage_dir, tmp_path):
    both = tmp_path / "both"
    writable_copy(ORIGINAL, both / ORIGINAL.name)
    continuation(both)
    together, _ = _upload(people.team_a, people.alice, both, "both.zip")
    third, _ = _upload(people.team_a, people.alice, continuation(tmp_path / "3", name="log_20261124_045200_000000", turn=3))
    together.refresh_from_db()
    assert third.continues_id == together.pk
    assert [turn["turn"] for turn in together.summary["turns"]] == [1, 2, 3]
