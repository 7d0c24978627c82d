"""Strict reading of settings from the environment.

Every parser names the variable in its error, so a typo in a deployment fails at
start-up with a message that says what to fix instead of misbehaving later."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote

from botocore.config import Config as BotoConfig
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
DEFAULT_S3_REGION = "us-east-1"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return default if value is None or value == "" else value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use one of true/false, 1/0, yes/no, on/off.")

    def int(self, name: str, default: int, *, minimum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
        return value

    def float(self, name: str, default: float | None, *, minimum: float | None = None) -> float | None:
        raw = self.environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = float(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None
        if value != value or (minimum is not None and value < minimum):
            raise ImproperlyConfigured(f"{name}={raw!r} must be a number of at least {minimum}.")
        return value

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.str(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}.")
        return value

    def database(self, name: str, default: str) -> dict:
        import dj_database_url

        raw = self.str(name, default)
        try:
            config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
        except Exception as exc:  # dj_database_url raises several kinds for garbage
            raise ImproperlyConfigured(f"{name}={raw!r} is not a database URL ({exc}).") from None
        if not config.get("ENGINE"):
            raise ImproperlyConfigured(f"{name}={raw!r} names an unsupported database; use sqlite:/// or postgres://.")
        if config["ENGINE"].endswith("sqlite3") and not config.get("NAME"):
            raise ImproperlyConfigured(f"{name}={raw!r} has no SQLite file path.")
        return config

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        value = self.str(name, default)
        scheme = value.split("://", 1)[0] if "://" in value else ""
        if scheme not in schemes:
            raise ImproperlyConfigured(f"{name}={value!r} must start with one of: {', '.join(s + '://' for s in schemes)}.")
        return value

    def storage(self, name: str, default_folder: Path) -> tuple[str, str, str]:
        """Where runs are kept: `("file", "/abs/folder", "")` or `("s3", bucket, prefix)`.
        Unset is the local folder `default_folder`."""
        raw = self.str(name)
        if raw is None:
            return "file", str(default_folder), ""
        scheme, sep, rest = raw.partition("://")
        if scheme == "file" and sep:
            # file:///abs/path: an empty host, then an absolute path.
            if not rest.startswith("/") or rest.startswith("//"):
                raise ImproperlyConfigured(f"{name}={raw!r} must be file:///absolute/path (three slashes).")
            return "file", str(Path(unquote(rest)).resolve()), ""
        if scheme == "s3" and sep:
            bucket, _, prefix = rest.partition("/")
            if not _BUCKET.fullmatch(bucket):
                raise ImproperlyConfigured(
                    f"{name}={raw!r}: {bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots and dashes)."
                )
            parts = [part for part in prefix.split("/") if part]
            if any(part in (".", "..") for part in parts):
                raise ImproperlyConfigured(f"{name}={raw!r}: the prefix may not contain . or .. parts.")
            return "s3", bucket, "/".join(parts)
        raise ImproperlyConfigured(f"{name}={raw!r} must be file:///absolute/path or s3://bucket/prefix.")

    def runs_storage(self, default_dir: Path) -> tuple[Path, dict]:
        """This machine's storage folder and the STORAGES entry where runs are kept,
        from DEBRIEF_STORAGE_DIR, DEBRIEF_STORAGE_URL and the standard AWS variables."""
        local = Path(self.str("DEBRIEF_STORAGE_DIR", str(default_dir))).resolve()
        kind, where, prefix = self.storage("DEBRIEF_STORAGE_URL", local)
        if kind == "file":
            if self.str("DEBRIEF_STORAGE_DIR") and Path(where) != local:
                raise ImproperlyConfigured(
                    "DEBRIEF_STORAGE_URL and DEBRIEF_STORAGE_DIR name two different local folders; set only one of them."
                )
            # No location: FileStore reads DEBRIEF_STORAGE_DIR when used (tests move it).
            return Path(where), {"BACKEND": "webapp.runs.stores.FileStore"}
        key, secret = self.str("AWS_ACCESS_KEY_ID"), self.str("AWS_SECRET_ACCESS_KEY")
        if bool(key) != bool(secret):
            raise ImproperlyConfigured("Set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or neither (an instance role).")
        variable = "AWS_ENDPOINT_URL_S3" if self.str("AWS_ENDPOINT_URL_S3") else "AWS_ENDPOINT_URL"
        endpoint = self.url(variable, "", ("http", "https")) if self.str(variable) else None
        return local, {
            "BACKEND": "webapp.runs.stores.S3Store",
            "OPTIONS": {
                "bucket_name": where,
                "location": prefix,
                "access_key": key,
                "secret_key": secret,
                "security_token": self.str("AWS_SESSION_TOKEN"),
                # An empty AWS_DEFAULT_REGION (docker-compose's `${VAR:-}`) would reach
                # boto3 as a region named "": us-east-1 is S3's, and MinIO's, default.
                "region_name": self.str("AWS_DEFAULT_REGION") or self.str("AWS_REGION") or DEFAULT_S3_REGION,
                "endpoint_url": endpoint,
                "file_overwrite": True,
                "default_acl": None,
                # MinIO, R2 and GCS behind a custom endpoint answer path-style requests
                # (http://minio:9000/bucket/key); a bucket sub-domain would not resolve.
                "client_config": BotoConfig(
                    connect_timeout=10, read_timeout=120, retries={"max_attempts": 5, "mode": "standard"},
                    s3={"addressing_style": "path"} if endpoint else {},
                ),
            },
        }
