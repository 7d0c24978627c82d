import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from webapp.env import Env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def load_settings(**overrides) -> subprocess.CompletedProcess:
    """Import the real settings module in a fresh interpreter with this environment."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "SECRET_KEY", "DEBRIEF_ENV")}
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import webapp.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_it_names_database_url_when_it_is_garbage():
    result = load_settings(DATABASE_URL="nonsense://what")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_URL" in result.stderr


def test_it_names_debug_when_it_is_not_a_boolean():
    result = load_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_it_requires_a_secret_key_in_production():
    result = load_settings(DEBRIEF_ENV="production", ALLOWED_HOSTS="debrief.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    # The suite's own DJANGO_ALLOW_ASYNC_UNSAFE would trip the deploy check (async.E001).
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DEBRIEF_ENV": "production",
        "SECRET_KEY": "k" * 20 + "x9!Qz" * 10,
        "ALLOWED_HOSTS": "debrief.example",
        "DEBRIEF_DATA_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("method", "args", "raw", "message"),
    [
        ("int", (5,), "five", "X='five' is not a whole number."),
        ("int", (5,), "-1", "X='-1' must be at least 0."),
        ("float", (1.0,), "nan", "X='nan' must be a number"),
        ("choice", ("a", ("a", "b")), "c", "X='c' must be one of: a, b."),
        ("url", ("redis://x", ("redis",)), "http://x", "X='http://x' must start with one of: redis://."),
    ],
)
def test_each_parser_names_the_variable(method, args, raw, message):
    env = Env({"X": raw})
    kwargs = {"minimum": 0} if method in ("int", "float") else {}
    with pytest.raises(ImproperlyConfigured, match=message.replace("(", r"\(").replace(")", r"\)")[:30]):
        getattr(env, method)("X", *args, **kwargs)


def test_unset_values_fall_back_to_defaults():
    env = Env({})
    assert env.bool("DEBUG", True) is True
    assert env.list("ALLOWED_HOSTS", ["a"]) == ["a"]
    assert env.database("DATABASE_URL", "sqlite:////tmp/x.sqlite3")["NAME"] == "/tmp/x.sqlite3"
