"""The throttling limits come from the environment, and a bad one stops start-up
with a message naming it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
SHOW = (
    "from webapp import settings as s; "
    "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), s.DEBRIEF_API_AUTH_FAILURE_LIMIT, "
    "s.DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS, s.DEBRIEF_TRUSTED_PROXY_COUNT)"
)


def settings_with(**variables) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "DEBRIEF_ENV")}
    return subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=env | variables, capture_output=True, text=True)


def test_the_limits_are_read_from_the_environment():
    result = settings_with(
        DEBRIEF_LOGIN_FAILURE_LIMIT="3", DEBRIEF_LOGIN_COOLOFF_SECONDS="60", DEBRIEF_API_AUTH_FAILURE_LIMIT="7",
        DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS="30", DEBRIEF_TRUSTED_PROXY_COUNT="1",
    )
    assert result.stdout.split() == ["3", "60", "7", "30", "1"], result.stderr


@pytest.mark.parametrize(("name", "value"), [
    ("DEBRIEF_LOGIN_FAILURE_LIMIT", "0"), ("DEBRIEF_LOGIN_COOLOFF_SECONDS", "soon"),
    ("DEBRIEF_API_AUTH_FAILURE_LIMIT", "0"), ("DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS", "0"),
    ("DEBRIEF_TRUSTED_PROXY_COUNT", "-1"),
])
def test_a_bad_limit_stops_start_up_naming_the_variable(name, value):
    result = settings_with(**{name: value})
    assert result.returncode != 0 and f"{name}={value!r}" in result.stderr
