"""`debrief ci upload` against a live Debrief server and its real worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from tests.samples import HTTP_ERRORS, SMALLEST
from webapp.analyses.ci_client import CIError, run_upload
from webapp.api.tokens import do_create_token
from webapp.runs import ingest
from webapp.runs.models import Run

# How long a session worker may take to ingest the smallest sample under CI load.
INGEST_WAIT_SECONDS = 60

WAIT_SECONDS = 120


@pytest.fixture
def server(live_server, celery_worker):
    return live_server.url


def upload(server, token, path, **options) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = run_upload(server, token, path, out=lines.append, timeout=WAIT_SECONDS, **options)
    return code, lines


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_warn_verdict_fails_the_build_with_fail_on_warn_and_prints_the_report(server, people):
    _, token = do_create_token(people.team_a, "full")
    code, lines = upload(server, token, HTTP_ERRORS, analyze=True, model="debrief/offline", fail_on="warn")
    assert code == 1
    assert lines[0].startswith("estimate: $0.0000 with debrief/offline (")  # checked before uploading
    assert lines[1].startswith("uploaded log_20261124_044651_263058: ")
    assert "verdict: warn" in lines[-2]
    assert lines[-1].startswith(f"report: {server}/analyses/")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_the_same_verdict_passes_with_fail_on_fail(server, people):
    _, token = do_create_token(people.team_a, "full")
    code, lines = upload(server, token, HTTP_ERRORS, analyze=True, model="debrief/offline", fail_on="fail")
    assert code == 0 and "verdict: warn" in lines[-2]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_upload_token_uploads_but_is_told_analysing_needs_full(server, people):
    _, token = do_create_token(people.team_a, "upload")
    assert upload(server, token, SMALLEST)[0] == 0
    with pytest.raises(CIError) as refused:
        upload(server, token, SMALLEST, analyze=True, model="debrief/offline", wait=True)
    assert "403" in str(refused.value) and "scope `full`" in str(refused.value)
    # The first upload is being ingested by the session's worker: let it finish, so the
    # test's database flush does not deadlock with the worker's writes (seen once in CI).
    deadline = time.monotonic() + INGEST_WAIT_SECONDS
    while Run.objects.filter(team=people.team_a).exclude(status__in=("ready", "failed")).exists():
        assert time.monotonic() < deadline, "the uploaded run was not ingested"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_an_unknown_model_is_refused_before_anything_is_uploaded(live_server, people, monkeypatch):
    # The run would be ready at once: the ingest runs in this process.
    monkeypatch.setattr("webapp.runs.services.runs.enqueue_ingest", lambda run: ingest.ingest_run(run.pk))
    _, token = do_create_token(people.team_a, "full")
    with pytest.raises(CIError) as refused:
        upload(live_server.url, token, SMALLEST, analyze=True, model="gpt-5-mimi")
    assert "unknown_model" in str(refused.value) and "nothing was uploaded" in str(refused.value)
    assert not Run.objects.exists()


def test_the_command_exits_2_with_a_message_when_the_server_is_unreachable():
    result = subprocess.run(
        [sys.executable, "manage.py", "ci", "upload", str(SMALLEST), "--server", "http://127.0.0.1:9", "--token", "dbr_full_x"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "debrief ci: cannot reach http://127.0.0.1:9" in result.stderr


def test_the_command_exits_2_without_a_token():
    result = subprocess.run(
        [sys.executable, "manage.py", "ci", "upload", str(SMALLEST), "--server", "http://127.0.0.1:9"],
        cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60, env={k: v for k, v in os.environ.items() if k != "DEBRIEF_TOKEN"},
    )
    assert result.returncode == 2 and "DEBRIEF_TOKEN" in result.stderr


def test_fail_on_without_analyze_is_refused():
    with pytest.raises(CIError, match="--fail-on needs --analyze"):
        run_upload("http://127.0.0.1:9", "t", SMALLEST, fail_on="warn")


@pytest.mark.parametrize("options", [{"model": "debrief/offline"}, {"max_cost_usd": 0.5}])
def test_a_model_or_cost_limit_without_analyze_is_refused_instead_of_ignored(options):
    with pytest.raises(CIError, match="need --analyze"):
        run_upload("http://127.0.0.1:9", "t", SMALLEST, **options)
