"""Web and workers on separate machines: the web process and two Celery workers,
each with its own local folder that no other sees, share only PostgreSQL, Redis
and an S3-compatible bucket (moto's real HTTP server). A run uploaded to the web
is ingested by worker A (ingest queue), analysed by worker B (analysis queue) and
shown by the web from the bucket; no machine keeps a file of it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.conf import settings

from tests.fakeopenai.process import FakeOpenAIProcess
from tests.ingest.support import every_file
from tests.machines import Services, Web, Worker
from tests.samples import SMALLEST
from tests.serving import multipart

# Its processes bring their own database, broker prefix and bucket, so the suite's
# configuration changes nothing: CI runs it once, in the embedded-defaults pass.
pytestmark = [pytest.mark.services, pytest.mark.standalone]

MODEL = "fake/analyst"
PASSWORD = "scale-out-scale-out-1"
PREFIX = "debrief"


def run_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(SMALLEST.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{SMALLEST.name}/{path.relative_to(SMALLEST).as_posix()}")
    return buffer.getvalue()


def test_web_and_two_workers_with_nothing_shared_but_the_database_broker_and_bucket(tmp_path, s3_server):
    bucket = s3_server.new_bucket()
    fake = FakeOpenAIProcess(tmp_path / "fake.jsonl").start()
    models = tmp_path / "models.toml"
    models.write_text(
        f'[[models]]\nname = "{MODEL}"\nmodel = "gpt-5-mini"\nbase_url = "{fake.base_url}"\n'
        "context_window = 200000\nmax_output_tokens = 8000\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 4.0\n"
    )
    machines = []
    try:
        with Services() as services:
            shared = services.environment() | s3_server.environment(bucket, PREFIX) | {
                "SECRET_KEY": "separate-machines-" * 4, "DEBRIEF_MODELS_FILE": str(models),
            }
            web = Web("web", tmp_path, shared)
            web.debrief("migrate", "--noinput")
            web.debrief("createuser", "ada", "--team", "acme", "--role", "owner", "--password", PASSWORD)
            token = web.debrief("tokens", "create", "--team", "acme", "--scope", "full").strip()
            machines.append(web.start())
            ingest = Worker("worker-a", tmp_path, shared)
            machines.append(ingest.start(settings.INGEST_QUEUES))
            analysis = Worker("worker-b", tmp_path, shared)
            machines.append(analysis.start(settings.ANALYSIS_QUEUES))

            body, content_type = multipart("file", "run.zip", run_archive())
            run_id = web.api("POST", "/api/v1/runs", token, body, content_type)["id"]
            web.wait_until(lambda: web.api("GET", f"/api/v1/runs/{run_id}", token)["status"] in ("ready", "failed"), 120, "ingest")
            assert web.api("GET", f"/api/v1/runs/{run_id}", token)["status"] == "ready", ingest.output()[-3000:]
            analysis_id = web.api(
                "POST", f"/api/v1/runs/{run_id}/analyses", token, json.dumps({"model": MODEL}).encode(), "application/json"
            )["id"]
            web.wait_until(
                lambda: web.api("GET", f"/api/v1/analyses/{analysis_id}", token)["status"] in ("done", "failed"), 180, "the analysis"
            )
            assert web.api("GET", f"/api/v1/analyses/{analysis_id}", token)["status"] == "done", analysis.output()[-3000:]

            # Each worker did its own queue's work.
            assert ingest.succeeded("webapp.runs.tasks.ingest_run") and not analysis.succeeded("webapp.runs.tasks.ingest_run")
            assert analysis.succeeded("webapp.analyses.tasks.run_analysis") and not ingest.succeeded("webapp.analyses.tasks.run_analysis")

            # The run's files are in the bucket, and only there.
            [(team_id, storage_path)] = services.query("SELECT team_id, storage_path FROM runs_run WHERE id = %s", run_id)
            paths = [path for (path,) in services.query("SELECT path FROM runs_runfile WHERE run_id = %s ORDER BY path", run_id)]
            assert storage_path.startswith(f"{team_id}/{run_id}/") and len(paths) > 3
            assert s3_server.keys(bucket) == sorted(f"{PREFIX}/{storage_path}/{path}" for path in paths)
            for machine in machines:  # each used its folder (uploads, work folders), and emptied it
                assert machine.storage_dir.is_dir() and every_file(machine.storage_dir) == [], machine.name

            # Pages read from the bucket: the run, a stored file and the report.
            web.log_in("ada", PASSWORD)
            status, page = web.page(f"/runs/{run_id}/")
            assert status == 200 and "TCP" in page
            status, page = web.page(f"/runs/{run_id}/files/{paths[0]}")
            assert status == 200 and paths[0].rsplit("/", 1)[-1] in page
            assert web.page(f"/analyses/{analysis_id}/")[0] == 200

            # Deleting the run deletes its objects.
            web.api("DELETE", f"/api/v1/runs/{run_id}", token)
            web.wait_until(lambda: s3_server.keys(bucket) == [], 30, "the run's objects to be deleted")
            for machine in machines:
                assert every_file(machine.storage_dir) == [], machine.name
    finally:
        for machine in reversed(machines):
            machine.stop()
        fake.stop()
