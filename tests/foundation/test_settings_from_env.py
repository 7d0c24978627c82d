import os
import re
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


def test_runs_are_kept_in_the_local_folder_unless_a_storage_url_says_otherwise(tmp_path):
    folder, entry = Env({}).runs_storage(tmp_path / "storage")
    assert folder == (tmp_path / "storage").resolve() and entry == {"BACKEND": "webapp.runs.stores.FileStore"}
    folder, entry = Env({"DEBRIEF_STORAGE_URL": f"file://{tmp_path}/elsewhere"}).runs_storage(tmp_path / "storage")
    assert folder == (tmp_path / "elsewhere").resolve() and entry["BACKEND"] == "webapp.runs.stores.FileStore"


def test_an_s3_storage_url_takes_the_bucket_prefix_and_the_standard_aws_variables(tmp_path):
    _, entry = Env({
        "DEBRIEF_STORAGE_URL": "s3://debrief-runs/prod/runs/", "AWS_ACCESS_KEY_ID": "key", "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9000",
    }).runs_storage(tmp_path)
    options = entry["OPTIONS"]
    assert entry["BACKEND"] == "webapp.runs.stores.S3Store"
    assert (options["bucket_name"], options["location"], options["region_name"]) == ("debrief-runs", "prod/runs", "eu-west-1")
    assert (options["access_key"], options["secret_key"], options["endpoint_url"]) == ("key", "secret", "http://127.0.0.1:9000")
    assert options["client_config"].s3 == {"addressing_style": "path"}  # MinIO's host name has no bucket sub-domains
    _, entry = Env({"DEBRIEF_STORAGE_URL": "s3://debrief-runs", "AWS_ENDPOINT_URL": "http://a:1",
                    "AWS_ENDPOINT_URL_S3": "http://b:2"}).runs_storage(tmp_path)
    assert entry["OPTIONS"]["endpoint_url"] == "http://b:2" and entry["OPTIONS"]["location"] == ""
    assert entry["OPTIONS"]["access_key"] is None  # none given: boto3's own chain (an instance role)


@pytest.mark.parametrize(("environ", "message"), [
    ({"DEBRIEF_STORAGE_URL": "ftp://host/runs"}, "must be file:///absolute/path or s3://bucket/prefix"),
    ({"DEBRIEF_STORAGE_URL": "file://relative/runs"}, "three slashes"),
    ({"DEBRIEF_STORAGE_URL": "s3://Not_A_Bucket/runs"}, "is not an S3 bucket name"),
    ({"DEBRIEF_STORAGE_URL": "s3:///runs"}, "is not an S3 bucket name"),
    ({"DEBRIEF_STORAGE_URL": "s3://bucket/a/../b"}, "may not contain . or .. parts"),
    ({"DEBRIEF_STORAGE_URL": "s3://bucket", "AWS_ACCESS_KEY_ID": "key"}, "Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"),
    ({"DEBRIEF_STORAGE_URL": "s3://bucket", "AWS_ENDPOINT_URL_S3": "minio:9000"}, "AWS_ENDPOINT_URL_S3='minio:9000' must start with"),
    ({"DEBRIEF_STORAGE_URL": "file:///srv/a", "DEBRIEF_STORAGE_DIR": "/srv/b"}, "two different local folders"),
])
def test_a_bad_storage_setting_names_what_to_fix(tmp_path, environ, message):
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        Env(environ).runs_storage(tmp_path)


def test_the_settings_refuse_a_bad_storage_url_at_start_up():
    result = load_settings(DEBRIEF_STORAGE_URL="s3://")
    assert result.returncode != 0 and "DEBRIEF_STORAGE_URL" in result.stderr
