"""A provider that misbehaves, as `make run` meets it: 100 analyses against a fake
that answers 429s, 500s, cut-off 200s and hangs, with the analysis worker
SIGKILLed and the embedded broker (Redis) killed mid-way. Every analysis must end
done, or failed with the provider's reason; nothing may be left running; and
every call the provider billed (answered 200) must be counted, measured or at
its estimate."""

from __future__ import annotations

import io
import itertools
import json
import signal
import sqlite3
import zipfile

import psutil
import pytest

from tests.fakeopenai import Reply
from tests.fakeopenai.process import FakeOpenAIProcess
from tests.samples import SMALLEST
from tests.serving import Served, multipart

pytestmark = [pytest.mark.soak, pytest.mark.services]

ANALYSES = 100
MODEL = "flaky/analyst"
CALL_TIMEOUT_SECONDS = 3
WORKER_CONCURRENCY = 2  # processes of each worker: the most calls a SIGKILL can leave in flight
FINISH_TIMEOUT_SECONDS = 600
# The fake's replies in the order requests arrive; after these it answers well.
FAULTS = list(itertools.islice(itertools.cycle([
    Reply.rate_limited(1),
    Reply.error(500, "The server had an error while processing your request.", type="server_error"),
    Reply(delay=CALL_TIMEOUT_SECONDS + 2),  # a hang: answered (and billed) after the client gave up
    Reply(raw_body='{"id": "chatcmpl-cut", "choices": [{"index": 0, "message": {"content": "{\\"ver'),
    Reply(),  # a good one between the bad ones
]), 80))


def run_archive() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(SMALLEST.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{SMALLEST.name}/{path.relative_to(SMALLEST).as_posix()}")
    return buffer.getvalue()


def test_analyses_against_a_flaky_provider_end_with_a_reason_and_every_billed_call_is_counted(tmp_path):
    fake = FakeOpenAIProcess(tmp_path / "fake.jsonl").start()
    try:
        models = tmp_path / "models.toml"
        models.write_text(
            f'[[models]]\nname = "{MODEL}"\nmodel = "gpt-5-mini"\nbase_url = "{fake.base_url}"\n'
            "context_window = 200000\nmax_output_tokens = 8000\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 4.0\n"
        )
        fake.script("chat", *FAULTS)
        served = Served(
            tmp_path / "data",
            DEBRIEF_MODELS_FILE=str(models),
            DEBRIEF_LLM_CALL_TIMEOUT=str(CALL_TIMEOUT_SECONDS),
            DEBRIEF_TASK_SOFT_TIME_LIMIT="30",
            DEBRIEF_TASK_TIME_LIMIT="40",
            DEBRIEF_API_RATE_LIMIT="100000",
        )
        served.prepare()
        served.debrief("createuser", "soaker", "--team", "soak", "--role", "owner", "--password", "soak-soak-soak-1")
        token = served.debrief("tokens", "create", "--team", "soak", "--scope", "full").strip()
        served.start(concurrency=WORKER_CONCURRENCY)
        try:
            body, content_type = multipart("file", "run.zip", run_archive())
            run_id = served.request("POST", "/api/v1/runs", token=token, body=body, content_type=content_type)["id"]
            served.wait_until(lambda: served.get(f"/api/v1/runs/{run_id}", token=token)["status"] == "ready", 120, "the run")
            for _ in range(ANALYSES):
                served.request(
                    "POST", f"/api/v1/runs/{run_id}/analyses", token=token,
                    body=f'{{"model": "{MODEL}"}}'.encode(), content_type="application/json",
                )
            killed = []

            def progress() -> bool:
                finished = _finished(served)
                if not killed and finished >= ANALYSES // 4:
                    killed.append(served.child("analysis-worker"))
                    killed[0].send_signal(signal.SIGKILL)
                    _broker(served).send_signal(signal.SIGKILL)
                return finished == ANALYSES

            served.wait_until(progress, FINISH_TIMEOUT_SECONDS, "every analysis to finish")
        finally:
            served.stop()
        requests = fake.requests_to("chat")
    finally:
        fake.stop()

    log = served.output()
    assert "analysis-worker was killed by SIGKILL" in log and "the embedded broker had stopped" in log
    db = sqlite3.connect(served.data_dir / "debrief.sqlite3")
    rows = db.execute("SELECT status, error, calls, unconfirmed_calls FROM analyses_analysis").fetchall()
    assert len(rows) == ANALYSES
    statuses = {status for status, *_ in rows}
    assert statuses <= {"done", "failed"}, statuses
    for status, error, *_ in rows:
        if status == "failed":
            assert error.startswith(f"{MODEL} answered ") or error.startswith(f"{MODEL} failed ("), error
    billed = sum(1 for request in requests if request.reply_status == 200)
    counted = sum(len(json.loads(calls)) + len(json.loads(unconfirmed)) for _, _, calls, unconfirmed in rows)
    # Every billed call is counted. A call the killed worker had started is counted at
    # its estimate whether or not its request reached the provider (the ledger cannot
    # tell, and errs towards counting): at most one per process of that worker.
    assert billed <= counted <= billed + WORKER_CONCURRENCY, (billed, counted)


def _finished(served) -> int:
    with sqlite3.connect(served.data_dir / "debrief.sqlite3", timeout=30) as db:
        [(count,)] = db.execute("SELECT COUNT(*) FROM analyses_analysis WHERE status IN ('done', 'failed', 'cancelled')")
    return count


def _broker(served) -> psutil.Process:
    return psutil.Process(int((served.data_dir / "broker" / "redis.pid").read_text().strip()))
