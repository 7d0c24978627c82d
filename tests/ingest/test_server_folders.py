"""Server folders (DEBRIEF_LOG_ROOTS): listing, importing (a copy; the source
is only read), refusing paths outside the team's folder, the periodic import,
and `debrief runs import`."""

import json
import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests import stored
from tests.ingest.support import ingest_now, tree_digest, tar_gz_bytes
from tests.samples import SAMPLE_SESSIONS, SMALLEST as SMALLEST_SAMPLE
from webapp.runs import folders, tasks
from webapp.runs.models import Run
from webapp.runs.services import UploadRejected

pytestmark = pytest.mark.django_db
LOGS = "project/.massgen/massgen_logs"


@pytest.fixture
def server_root(settings, tmp_path, storage_dir, people):
    """acme's server folder: three complete sessions and one still running."""
    root = tmp_path / "server-logs"
    logs = root / LOGS
    for folder in SAMPLE_SESSIONS[:3]:
        shutil.copytree(folder, logs / folder.name)
    running = logs / "log_20261124_060000_000000"
    shutil.copytree(SAMPLE_SESSIONS[3], running)
    status = running / "turn_1" / "attempt_1" / "status.json"
    document = json.loads(status.read_text())
    status.write_text(json.dumps(document | {"is_complete": False, "finish_reason": None}))
    settings.DEBRIEF_LOG_ROOTS = {"acme": root.resolve()}
    return root.resolve()


def test_it_lists_the_sessions_newest_first_marking_incomplete_ones(people, server_root):
    sessions = folders.list_server_sessions(people.team_a)
    assert [session.name for session in sessions] == sorted((session.name for session in sessions), reverse=True)
    assert len(sessions) == 4
    assert {session.name: session.complete for session in sessions}["log_20261124_060000_000000"] is False
    assert sum(session.complete for session in sessions) == 3
    assert all(session.path.startswith(LOGS + "/log_") and session.imported_run is None for session in sessions)
    assert sessions[0].started_at.year == 2026


def test_a_team_without_a_server_folder_lists_nothing(people, server_root):
    assert folders.list_server_sessions(people.team_b) == []
    with pytest.raises(UploadRejected, match="No server folder"):
        folders.do_import_server_session(people.team_b, f"{LOGS}/{SAMPLE_SESSIONS[0].name}")


def test_importing_copies_the_session_and_leaves_the_source_untouched(people, server_root, storage_dir):
    before = tree_digest(server_root)
    session = folders.list_server_sessions(people.team_a)[-1]

    run, created = folders.do_import_server_session(people.team_a, session.path, people.bob)

    assert created and run.source == "folder" and run.source_path == session.path and run.created_by == people.bob
    assert ingest_now(run).status == "ready", run.error
    assert stored.files_root(run).is_relative_to(storage_dir)
    assert tree_digest(server_root) == before
    listed = {s.path: s for s in folders.list_server_sessions(people.team_a)}
    assert listed[session.path].imported_run == run
    assert folders.do_import_server_session(people.team_a, session.path) == (run, False)


@pytest.mark.parametrize("path", ["../", "..", "../server-logs/project", "/etc", f"{LOGS}/../../..", "", LOGS + "/nope"])
def test_it_refuses_paths_outside_the_teams_folder(people, server_root, path):
    with pytest.raises(UploadRejected):
        folders.do_import_server_session(people.team_a, path)
    assert not Run.objects.exists()


def test_it_refuses_a_link_that_leads_out_of_the_folder(people, server_root, tmp_path):
    outside = tmp_path / "elsewhere" / SMALLEST_SAMPLE.name
    shutil.copytree(SMALLEST_SAMPLE, outside)
    (server_root / "log_20200101_000000_000000").symlink_to(outside, target_is_directory=True)
    with pytest.raises(UploadRejected, match="not inside"):
        folders.do_import_server_session(people.team_a, "log_20200101_000000_000000")
    assert "log_20200101_000000_000000" not in [s.name for s in folders.list_server_sessions(people.team_a)]


def test_it_refuses_a_session_holding_a_symbolic_link(people, server_root, tmp_path):
    session = folders.list_server_sessions(people.team_a)[-1]
    secret = tmp_path / "secret.txt"
    secret.write_text("server secrets")
    (server_root / session.path / "turn_1" / "leak.txt").symlink_to(secret)
    with pytest.raises(UploadRejected, match="symbolic link"):
        folders.do_import_server_session(people.team_a, session.path)


def test_the_periodic_task_imports_only_new_complete_sessions(people, server_root):
    first = folders.list_server_sessions(people.team_a)[-1]
    existing, _ = folders.do_import_server_session(people.team_a, first.path)

    tasks.import_server_folders()

    imported = Run.objects.filter(team=people.team_a).exclude(pk=existing.pk)
    assert sorted(imported.values_list("source_path", flat=True)) == sorted(
        s.path for s in folders.list_server_sessions(people.team_a) if s.complete and s.path != first.path
    )
    assert imported.count() == 2 and all(run.status == "queued" for run in imported)
    tasks.import_server_folders()
    assert Run.objects.filter(team=people.team_a).count() == 3


def test_the_import_command_imports_a_folder_or_an_archive(people, storage_dir, tmp_path):
    out = StringIO()
    call_command("runs", "import", str(SMALLEST_SAMPLE), "--team", "acme", "--now", stdout=out)
    assert ": ready" in out.getvalue()
    call_command("runs", "import", str(SMALLEST_SAMPLE), "--team", "acme", stdout=out)
    assert "Already imported" in out.getvalue()
    archive = tmp_path / "run.tar.gz"
    archive.write_bytes(tar_gz_bytes(SAMPLE_SESSIONS[-1]))
    call_command("runs", "import", str(archive), "--team", "birch", "--now", stdout=out)
    assert Run.objects.get(team=people.team_b).status == "ready"
    with pytest.raises(CommandError, match="No team"):
        call_command("runs", "import", str(SMALLEST_SAMPLE), "--team", "nope")


def test_the_import_command_keeps_summary_working():
    out = StringIO()
    call_command("runs", "summary", str(SMALLEST_SAMPLE), "--json", stdout=out)
    assert json.loads(out.getvalue())["session_id"] == SMALLEST_SAMPLE.name


# --- real-world layouts: flat 0.1.1, renamed folders, `--continue`, interrupted runs ------------

FLAT_SAMPLE = next(folder for folder in SAMPLE_SESSIONS if not (folder / "turn_1").is_dir())
TCP_97 = next(folder for folder in SAMPLE_SESSIONS if "0.1.97" in str(folder) and "tcp-udp" in str(folder))


def writable_copy(source, target):
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


@pytest.fixture
def empty_root(settings, tmp_path, storage_dir, people):
    root = (tmp_path / "server-logs").resolve()
    (root / LOGS).mkdir(parents=True)
    settings.DEBRIEF_LOG_ROOTS = {"acme": root}
    return root


def listed(team) -> dict:
    return {session.name: session for session in folders.list_server_sessions(team)}


def test_a_flat_0_1_1_session_is_listed_complete_with_its_start_and_imports_with_unknown_cost(people, empty_root):
    writable_copy(FLAT_SAMPLE, empty_root / LOGS / FLAT_SAMPLE.name)
    session = listed(people.team_a)[FLAT_SAMPLE.name]
    assert session.complete is True
    assert (session.started_at.year, session.started_at.month, session.started_at.day) == (2025, 10, 26)

    run = ingest_now(folders.do_import_server_session(people.team_a, session.path)[0])

    assert run.status == "ready", run.error
    assert run.massgen_version == "0.1.1" and run.cost_usd is None and run.input_tokens is None


def test_a_renamed_flat_session_is_found_by_its_files(people, empty_root):
    writable_copy(FLAT_SAMPLE, empty_root / LOGS / "capitals-of-france")
    assert listed(people.team_a)["capitals-of-france"].complete is True


def test_a_flat_session_without_its_session_end_is_listed_as_incomplete_and_not_imported(people, empty_root):
    folder = writable_copy(FLAT_SAMPLE, empty_root / LOGS / FLAT_SAMPLE.name)
    events = folder / "coordination_events.json"
    document = json.loads(events.read_text())
    document["events"] = [event for event in document["events"] if event.get("event_type") != "session_end"]
    events.write_text(json.dumps(document))

    assert listed(people.team_a)[FLAT_SAMPLE.name].complete is False
    tasks.import_server_folders()
    assert not Run.objects.filter(team=people.team_a).exists()


def test_a_session_whose_status_says_complete_but_lacks_metrics_summary_is_incomplete(people, empty_root):
    folder = writable_copy(SMALLEST_SAMPLE, empty_root / LOGS / SMALLEST_SAMPLE.name)
    (folder / "turn_1" / "attempt_1" / "metrics_summary.json").unlink()
    assert listed(people.team_a)[SMALLEST_SAMPLE.name].complete is False


def test_a_continuation_run_is_listed_complete_and_imports_as_its_real_turn(people, empty_root):
    # The second log_* folder `massgen --continue` (0.1.97) opens: turn_1/attempt_1 holds
    # only the new question's stream, log and metadata; turn_2/attempt_1 the rest.
    follow_up = empty_root / LOGS / "log_20261124_045100_000000"
    stub, real = follow_up / "turn_1" / "attempt_1", follow_up / "turn_2" / "attempt_1"
    writable_copy(TCP_97 / "turn_1" / "attempt_1", real)
    stub.mkdir(parents=True)
    for moved in ("events.jsonl", "massgen.log", "execution_metadata.yaml"):
        shutil.move(real / moved, stub / moved)

    session = listed(people.team_a)[follow_up.name]
    assert session.complete is True
    run = ingest_now(folders.do_import_server_session(people.team_a, session.path)[0])
    assert run.status == "ready", run.error
    assert list(run.attempts.values_list("turn", flat=True)) == [2]


def test_a_server_session_is_imported_without_node_modules_venv_or_workspace_even_holding_links(people, empty_root):
    folder = writable_copy(SMALLEST_SAMPLE, empty_root / LOGS / SMALLEST_SAMPLE.name)
    modules = folder / "turn_1" / "attempt_1" / "node_modules" / ".bin"
    modules.mkdir(parents=True)
    (modules / "tool").symlink_to("/etc/passwd")  # npm leaves links here; they are not judged, only skipped
    (modules.parent / "index.js").write_text("1")
    (folder / ".venv").mkdir()
    (folder / ".venv" / "pyvenv.cfg").write_text("home = /usr")

    run, created = folders.do_import_server_session(people.team_a, f"{LOGS}/{folder.name}")

    assert created and run.skipped_files == {"node_modules": 2, ".venv": 1}
    run = ingest_now(run)
    assert run.status == "ready", run.error
    assert not (stored.files_root(run) / ".venv").exists() and not (stored.files_root(run) / "turn_1" / "attempt_1" / "node_modules").exists()
