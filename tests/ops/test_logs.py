"""LOG_FORMAT=json: one JSON object per line, with the request id of the web
request or the task id of the Celery task that wrote it."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from tests.foundation.test_settings_from_env import ROOT, load_settings
from webapp.celery import app as celery_app
from webapp.core.logs import REQUEST_ID_HEADER, JsonFormatter, RequestIdMiddleware

log = logging.getLogger("tests.ops.logs")


@pytest.fixture
def json_lines():
    """Lines the JsonFormatter writes for `log`, parsed."""
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        log.removeHandler(handler)


def view(request):
    log.info("serving %s", request.path)
    return HttpResponse("ok")


def test_every_line_of_a_request_carries_its_id_and_the_response_names_it(json_lines):
    response = RequestIdMiddleware(view)(RequestFactory().get("/runs/"))
    (line,) = json_lines()
    assert line["message"] == "serving /runs/" and line["level"] == "INFO" and line["logger"] == "tests.ops.logs"
    assert line["request_id"] == response[REQUEST_ID_HEADER] and len(line["request_id"]) == 32
    assert line["time"].endswith("Z")
    log.info("after the request")
    assert "request_id" not in json_lines()[-1]


def test_a_proxys_request_id_is_kept_and_a_hostile_one_replaced(json_lines):
    kept = RequestIdMiddleware(view)(RequestFactory().get("/", headers={REQUEST_ID_HEADER: "abc-123.lb:7"}))
    assert kept[REQUEST_ID_HEADER] == "abc-123.lb:7"
    replaced = RequestIdMiddleware(view)(RequestFactory().get("/", headers={REQUEST_ID_HEADER: '"}\n{"level": "x'}))
    assert replaced[REQUEST_ID_HEADER] != '"}\n{"level": "x' and len(replaced[REQUEST_ID_HEADER]) == 32
    assert [line["request_id"] for line in json_lines()] == ["abc-123.lb:7", replaced[REQUEST_ID_HEADER]]


@celery_app.task(name="tests.ops.log_inside_a_task")
def log_inside_a_task():
    log.info("working")


def test_every_line_of_a_task_carries_its_task_id(json_lines):
    result = log_inside_a_task.apply()
    (line,) = json_lines()
    assert line["task_id"] == result.id and line["task"] == "tests.ops.log_inside_a_task"


def test_an_exception_stays_inside_its_one_line(json_lines):
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("failed")
    (line,) = json_lines()
    assert "RuntimeError: boom" in line["exception"]


def test_log_format_json_makes_every_line_a_json_object(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")} | {
        "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "webapp.settings", "DEBRIEF_DATA_DIR": str(tmp_path)}
    code = "import django, logging; django.setup(); logging.getLogger('webapp').warning('one'); logging.getLogger('celery').warning('two')"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [line["message"] for line in lines] == ["one", "two"]


def test_an_unknown_log_format_stops_the_service_naming_the_variable():
    result = load_settings(LOG_FORMAT="xml")
    assert result.returncode != 0 and "LOG_FORMAT='xml' must be one of: plain, json" in result.stderr
