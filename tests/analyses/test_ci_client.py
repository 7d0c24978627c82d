"""The CI client's behaviour: deterministic archives, Retry-After, progress lines,
--json with DEBRIEF_SERVER, and --timeout cancelling the analysis it started.
The live tests run `debrief ci` against Django's live test server, with the
ingest done in the server's process so a run is ready as soon as it is uploaded."""

from __future__ import annotations

import email.message
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import urllib.error
from types import SimpleNamespace

import pytest
from django.conf import settings

from tests.samples import SMALLEST
from webapp.analyses import ci_client
from webapp.analyses.ci_client import PROGRESS_SECONDS, Api, CIError, retry_after_seconds, run_upload, wait_for, write_archive
from webapp.analyses.models import Analysis
from webapp.api.tokens import do_create_token
from webapp.runs import ingest
from webapp.runs.models import Run


def archive_bytes(folder) -> bytes:
    target = io.BytesIO()
    write_archive(folder, target)
    return target.getvalue()


def test_the_same_folder_makes_the_same_archive_whatever_its_file_times(tmp_path):
    folder = shutil.copytree(SMALLEST, tmp_path / SMALLEST.name)
    first = archive_bytes(folder)
    for path in folder.rglob("*"):
        os.utime(path, (1, 1))
    assert hashlib.sha256(archive_bytes(folder)).digest() == hashlib.sha256(first).digest()


def test_a_changed_file_makes_another_archive(tmp_path):
    folder = shutil.copytree(SMALLEST, tmp_path / SMALLEST.name)
    first = archive_bytes(folder)
    next(path for path in sorted(folder.rglob("*")) if path.is_file()).write_bytes(b"changed")
    assert archive_bytes(folder) != first


class Answers:
    """urlopen answering from a list: an int is an HTTP error with that status."""

    def __init__(self, *answers, retry_after: str | None = "7"):
        self.answers = list(answers)
        self.retry_after = retry_after
        self.calls = 0

    def __call__(self, request, timeout):
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, int):
            headers = email.message.Message()
            if self.retry_after is not None:
                headers["Retry-After"] = self.retry_after
            raise urllib.error.HTTPError(request.full_url, answer, "busy", headers, io.BytesIO(b'{"error": "rate_limited"}'))
        return io.BytesIO(json.dumps(answer).encode())


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_server_is_waited_out_for_its_retry_after(monkeypatch, status):
    monkeypatch.setattr(ci_client.urllib.request, "urlopen", Answers(status, status, {"status": "ready"}))
    slept, notes = [], []
    api = Api("http://debrief.test", "dbr_full_x", sleep=slept.append, note=notes.append)
    assert api.call("GET", "/runs/1") == {"status": "ready"}
    assert slept == [7, 7] and len(notes) == 2 and f"answered {status}" in notes[0]


def test_a_retry_after_beyond_the_timeout_ends_the_command(monkeypatch):
    monkeypatch.setattr(ci_client.urllib.request, "urlopen", Answers(429, retry_after="3600"))
    api = Api("http://debrief.test", "dbr_full_x", deadline=ci_client.time.monotonic() + 60, sleep=lambda s: None)
    with pytest.raises(CIError, match="429"):
        api.call("GET", "/runs/1")


def test_other_errors_are_not_retried(monkeypatch):
    answers = Answers(500, {"status": "ready"})
    monkeypatch.setattr(ci_client.urllib.request, "urlopen", answers)
    with pytest.raises(CIError, match="500"):
        Api("http://debrief.test", "dbr_full_x", sleep=lambda s: None).call("GET", "/runs/1")
    assert answers.calls == 1


def test_retry_after_is_read_as_seconds_or_as_an_http_date():
    assert retry_after_seconds("12") == 12
    assert retry_after_seconds("Thu, 01 Jan 1970 00:01:40 GMT", now=40) == 60
    assert retry_after_seconds("soon") == ci_client.DEFAULT_RETRY_SECONDS
    assert retry_after_seconds(None) == ci_client.DEFAULT_RETRY_SECONDS


def test_waiting_prints_a_progress_line_every_30_seconds(monkeypatch):
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(ci_client.time, "monotonic", lambda: clock.now)

    def sleep(seconds):
        clock.now += seconds

    lines: list[str] = []
    found = wait_for(lambda: {"status": "running", "stage": "calling_model"}, ("done",), "the analysis",
                     deadline=3 * PROGRESS_SECONDS + 1, sleep=sleep, progress=lines.append)
    assert found is None
    assert len(lines) == 3
    assert lines[0] == f"waiting for the analysis: running/calling_model after {PROGRESS_SECONDS} s"


@pytest.fixture
def served(live_server, people, monkeypatch):
    monkeypatch.setattr("webapp.runs.services.runs.enqueue_ingest", lambda run: ingest.ingest_run(run.pk))
    _, token = do_create_token(people.team_a, "full")
    return SimpleNamespace(url=live_server.url, token=token)


def debrief_ci(served, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBRIEF_SERVER", "DEBRIEF_TOKEN")}
    env |= {"DEBRIEF_SERVER": served.url, "DEBRIEF_TOKEN": served.token}
    return subprocess.run([sys.executable, "manage.py", "ci", "upload", *args], cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.django_db(transaction=True)
def test_uploading_a_folder_twice_with_json_and_the_environment_gives_one_run(served, tmp_path):
    folder = shutil.copytree(SMALLEST, tmp_path / SMALLEST.name)
    first = debrief_ci(served, str(folder), "--json")
    os.utime(next(folder.rglob("*.json")), (1, 1))  # a fresh checkout has other file times
    second = debrief_ci(served, str(folder), "--json")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one == two
    assert one == {"run": {"id": one["run"]["id"], "url": f"{served.url}/runs/{one['run']['id']}/"}, "analysis": None, "exit_code": 0}
    assert Run.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_json_describes_the_analysis_it_started(served):
    result = debrief_ci(served, str(SMALLEST), "--json", "--analyze", "--model", "debrief/offline")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    analysis = Analysis.objects.get()
    assert document["analysis"] == {"id": str(analysis.pk), "url": f"{served.url}/analyses/{analysis.pk}/",
                                    "status": "queued", "verdict": None, "cost_usd": None}
    assert "analysis queued with debrief/offline" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_json_reports_a_failure_with_exit_code_2(served):
    result = debrief_ci(served, str(SMALLEST), "--json", "--analyze", "--model", "gpt-5-mimi")
    document = json.loads(result.stdout)
    assert result.returncode == 2 and document["exit_code"] == 2 and document["run"] is None
    assert "unknown_model" in document["error"]


@pytest.mark.django_db(transaction=True)
def test_the_timeout_cancels_the_analysis_it_started(served, no_enqueue):
    # Never sent to a worker (one from another test may still be running), so the
    # analysis stays queued until the client gives up.
    with pytest.raises(CIError, match="cancel requested"):
        run_upload(served.url, served.token, SMALLEST, analyze=True, model="debrief/offline", wait=True, timeout=3,
                   out=lambda line: None)
    assert Analysis.objects.get().status == "cancelled"


@pytest.mark.django_db(transaction=True)
def test_a_run_over_max_cost_is_refused_before_it_is_uploaded(served, fake_model, monkeypatch):
    monkeypatch.setattr(ci_client.time, "sleep", lambda seconds: None)
    lines: list[str] = []
    with pytest.raises(CIError, match=r"over_max_cost: the estimate \$0\.\d{4} for fake/analyst exceeds --max-cost "
                                      r"\$0\.0001; nothing was uploaded"):
        run_upload(served.url, served.token, SMALLEST, analyze=True, model="fake/analyst", max_cost_usd=0.0001,
                   out=lines.append)
    assert not Run.objects.exists() and not Analysis.objects.exists()
    assert fake_model.requests() == []  # estimating spends nothing


@pytest.mark.django_db(transaction=True)
def test_the_estimate_checked_before_uploading_is_the_one_the_analysis_stores(served, fake_model, no_enqueue):
    lines: list[str] = []
    code = run_upload(served.url, served.token, SMALLEST, analyze=True, model="fake/analyst", max_cost_usd=5,
                      out=lines.append)
    assert code == 0
    analysis = Analysis.objects.get()
    assert lines[0] == f"estimate: ${float(analysis.estimate_usd):.4f} with fake/analyst " \
                       f"({analysis.estimate['input_tokens']:,} input tokens)"
    assert lines[1].startswith("uploaded ")
