"""The embedded default under load, as `make run` serves it: hundreds of ingests
and offline analyses through the API plus beat's server-folder imports, with the
worker SIGKILLed halfway. Every run and every analysis must end exactly once,
and the broker must never crash the worker (the filesystem transport did)."""

import io
import shutil
import signal
import sqlite3
import zipfile

import pytest

from tests.samples import SAMPLE_SESSIONS, SMALLEST
from tests.serving import Served, multipart

pytestmark = [pytest.mark.soak, pytest.mark.services]

UPLOADS = 70
ANALYSES_PER_RUN = 2  # 70 ingests + 140 analyses + the beat imports and sweeps: over 200 tasks
FINISH_TIMEOUT_SECONDS = 300


def unique_archive(index: int) -> bytes:
    """The smallest sample run plus a note that makes its bytes (and SHA-256) its own."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(SMALLEST.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{SMALLEST.name}/{path.relative_to(SMALLEST).as_posix()}")
        bundle.writestr(f"{SMALLEST.name}/soak-note.txt", f"upload {index}\n")
    return buffer.getvalue()


def test_hundreds_of_tasks_finish_exactly_once_when_the_worker_is_killed_halfway(tmp_path):
    server_runs = tmp_path / "server-runs"
    for session in SAMPLE_SESSIONS:
        shutil.copytree(session, server_runs / f"{session.parent.parent.name}-{session.parent.name}" / session.name)
    served = Served(
        tmp_path / "data",
        DEBRIEF_LOG_ROOTS=f"soak={server_runs}",
        DEBRIEF_IMPORT_INTERVAL_SECONDS="10",
        # Short leases, so the work the killed worker held is taken again within the test.
        DEBRIEF_TASK_SOFT_TIME_LIMIT="10",
        DEBRIEF_TASK_TIME_LIMIT="11",
        DEBRIEF_INGEST_TIME_LIMIT="15",
        DEBRIEF_API_RATE_LIMIT="100000",
    )
    served.prepare()
    served.debrief("createuser", "soaker", "--team", "soak", "--role", "owner", "--password", "soak-soak-soak-1")
    token = served.debrief("tokens", "create", "--team", "soak", "--scope", "full").strip()
    served.start()
    try:
        run_ids = []
        for index in range(UPLOADS):
            body, content_type = multipart("file", f"run-{index}.zip", unique_archive(index))
            run_ids.append(served.request("POST", "/api/v1/runs", token=token, body=body, content_type=content_type)["id"])
        analysis_ids, pending, killed = [], list(run_ids), []

        def progress() -> bool:
            _analyse_ready_runs(served, token, pending, analysis_ids)
            if not killed and len(pending) <= UPLOADS // 2:
                # Halfway: ingests queued and running, analyses queued and running.
                killed.extend([served.child("worker"), served.child("analysis-worker")])
                for worker in killed:
                    worker.send_signal(signal.SIGKILL)
            return not pending and _finished(served, token, analysis_ids) == len(analysis_ids)

        served.wait_until(progress, FINISH_TIMEOUT_SECONDS, "every run and analysis to finish")
        served.wait_until(lambda: _server_imports(served) == len(SAMPLE_SESSIONS), 60, "beat to import every server folder")
    finally:
        served.stop()

    log = served.output()
    assert "Unrecoverable error" not in log and "CRITICAL" not in log
    assert "] worker was killed by SIGKILL" in log and "] analysis-worker was killed by SIGKILL" in log
    assert log.count("worker restarted") == 2  # each of the two, once
    # With dozens queued, the killed worker held deliveries: they came back at once.
    assert "task(s) a stopped worker had taken were put back on their queues" in log
    db = sqlite3.connect(served.data_dir / "debrief.sqlite3")
    statuses = dict(db.execute("SELECT status, COUNT(*) FROM analyses_analysis GROUP BY status").fetchall())
    assert statuses == {"done": UPLOADS * ANALYSES_PER_RUN}
    run_statuses = dict(db.execute("SELECT status, COUNT(*) FROM runs_run GROUP BY status").fetchall())
    assert run_statuses == {"ready": UPLOADS + len(SAMPLE_SESSIONS)}
    # Exactly once: identical uploads have identical rows, so a run ingested twice,
    # or half-ingested and resumed, would stand out.
    attempts = {count for (count,) in db.execute(
        "SELECT COUNT(a.id) FROM runs_run r LEFT JOIN runs_attempt a ON a.run_id = r.id "
        "WHERE r.source_path = '' GROUP BY r.id"
    )}
    assert attempts == {1}
    events = {count for (count,) in db.execute(
        "SELECT COUNT(e.id) FROM runs_run r LEFT JOIN runs_eventrow e ON e.run_id = r.id WHERE r.source_path = '' GROUP BY r.id"
    )}
    assert len(events) == 1 and events.pop() > 0
    reports = {count for (count,) in db.execute("SELECT COUNT(*) FROM analyses_analysis WHERE verdict != '' GROUP BY run_id")}
    assert reports == {ANALYSES_PER_RUN}


def _analyse_ready_runs(served, token, pending, analysis_ids) -> bool:
    for run_id in list(pending):
        run = served.get(f"/api/v1/runs/{run_id}", token=token)
        assert run["status"] in ("queued", "processing", "ready"), run
        if run["status"] == "ready":
            pending.remove(run_id)
            for _ in range(ANALYSES_PER_RUN):
                answer = served.request(
                    "POST", f"/api/v1/runs/{run_id}/analyses", token=token,
                    body=b'{"model": "debrief/offline"}', content_type="application/json",
                )
                analysis_ids.append(answer["id"])
    return False


def _finished(served, token, analysis_ids) -> int:
    done = 0
    for analysis_id in analysis_ids:
        status = served.get(f"/api/v1/analyses/{analysis_id}", token=token)["status"]
        assert status not in ("failed", "cancelled"), status
        done += status == "done"
    return done


def _server_imports(served) -> int:
    db = sqlite3.connect(served.data_dir / "debrief.sqlite3")
    try:
        return db.execute("SELECT COUNT(*) FROM runs_run WHERE source_path != '' AND status = 'ready'").fetchone()[0]
    finally:
        db.close()
