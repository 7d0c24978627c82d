"""The runs settings fail at start-up on a bad value, naming the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def load_settings(**overrides) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBRIEF_ENV")} | overrides
    script = "import webapp.settings as s; print(s.DEBRIEF_LOG_ROOTS, s.DEBRIEF_MAX_UPLOAD_BYTES, s.CELERY_BEAT_SCHEDULE['import-server-folders'])"
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.parametrize("value", ["acme", "acme=relative/path", "=/abs", "acme=/a,acme=/b", "a b=/abs"])
def test_a_bad_log_roots_setting_stops_start_up_naming_the_variable(value):
    result = load_settings(DEBRIEF_LOG_ROOTS=value)
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr and "DEBRIEF_LOG_ROOTS" in result.stderr


def test_the_log_roots_setting_assigns_one_folder_per_team():
    result = load_settings(DEBRIEF_LOG_ROOTS="acme=/srv/acme-logs, birch=/srv/birch")
    assert result.returncode == 0, result.stderr
    assert "'acme': PosixPath('/srv/acme-logs')" in result.stdout and "'birch': PosixPath('/srv/birch')" in result.stdout


@pytest.mark.parametrize("name,value", [
    ("DEBRIEF_MAX_UPLOAD_BYTES", "0"), ("DEBRIEF_MAX_UPLOAD_BYTES", "lots"), ("DEBRIEF_IMPORT_INTERVAL_SECONDS", "1"),
    ("DEBRIEF_MAX_UPLOAD_FILES", "-5"), ("DEBRIEF_API_RATE_LIMIT", "fast"),
])
def test_a_bad_limit_stops_start_up_naming_the_variable(name, value):
    result = load_settings(**{name: value})
    assert result.returncode != 0 and f"{name}={value!r}" in result.stderr


def test_the_limits_and_the_import_schedule_come_from_the_environment():
    result = load_settings(DEBRIEF_MAX_UPLOAD_BYTES="1048576", DEBRIEF_IMPORT_INTERVAL_SECONDS="60")
    assert result.returncode == 0, result.stderr
    assert "1048576" in result.stdout and "'schedule': 60.0" in result.stdout
