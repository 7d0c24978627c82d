"""A deployment spread over "machines": the web process and Celery workers, each
its own process with its own data folder (so its own DEBRIEF_STORAGE_DIR, seen
by no other), sharing only what separate machines share: a PostgreSQL database,
a Redis broker and an S3-compatible bucket, all named in the environment."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

from tests.processes import LoggedProcess
from tests.serving import _SUITE_ONLY, free_port
from tests.services import require_redis, service_missing, tcp_reachable

READY_TIMEOUT_SECONDS = 90
ADMIN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/14"


class Services:
    """A database of its own on the PostgreSQL server and a key prefix of its own
    on Redis, whatever the suite itself runs on."""

    def __init__(self) -> None:
        suite_db, suite_broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
        self.admin_url = suite_db if suite_db.startswith(("postgres://", "postgresql://")) else ADMIN_DATABASE_URL
        self.broker_url = suite_broker if suite_broker.startswith("redis://") else REDIS_URL
        admin = urllib.parse.urlparse(self.admin_url)
        if not tcp_reachable(admin.hostname or "127.0.0.1", admin.port or 5432):
            service_missing(f"PostgreSQL is not reachable at {admin.hostname}:{admin.port or 5432}")
        require_redis(self.broker_url)
        self.name = f"debrief_machines_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        self.database_url = admin._replace(path=f"/{self.name}").geturl()
        self.keyprefix = f"debrief-machines-{self.name}-"

    def __enter__(self) -> Services:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc_info) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, *params) -> list[tuple]:
        with psycopg.connect(self.database_url) as db:
            return db.execute(sql, params).fetchall()

    def environment(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database_url, "CELERY_BROKER_URL": self.broker_url, "DEBRIEF_BROKER_KEYPREFIX": self.keyprefix}


class Machine(LoggedProcess):
    def __init__(self, name: str, folder: Path, shared: dict[str, str]):
        self.name = name
        self.data_dir = folder / name
        self.data_dir.mkdir(parents=True)
        self.storage_dir = self.data_dir / "storage"
        base = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY and not k.startswith("AWS_")}
        self.env = base | shared | {"DJANGO_SETTINGS_MODULE": "webapp.settings", "DEBRIEF_DATA_DIR": str(self.data_dir)}
        self.log_path = self.data_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None


class Worker(Machine):
    def start(self, queues: tuple[str, ...]) -> Worker:
        self._spawn([
            sys.executable, "-m", "celery", "-A", "webapp", "worker", "--loglevel", "INFO", "--queues", ",".join(queues),
            "--concurrency", "1", "--without-gossip", "--without-mingle", f"--hostname={self.name}@%h",
        ])
        self.wait_until(lambda: " ready." in self.output(), READY_TIMEOUT_SECONDS, f"{self.name} to be ready")
        return self

    def succeeded(self, task: str) -> bool:
        return re.search(rf"Task {re.escape(task)}\[[^\]]+\] succeeded", self.output()) is not None


class Web(Machine):
    def start(self) -> Web:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._spawn([sys.executable, "-m", "webapp.cli", "runserver", f"127.0.0.1:{self.port}", "--noreload"])
        self.wait_until(lambda: self._answers(), READY_TIMEOUT_SECONDS, "the web server to answer")
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        return self

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/healthz", timeout=5)
        except urllib.error.HTTPError:
            return True  # 503 until a worker reports: it answers
        except OSError:
            return False
        return True

    def api(self, method: str, path: str, token: str, body: bytes | None = None, content_type: str | None = None) -> dict:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                raw = response.read()
                return json.loads(raw) if raw else {}
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path}: {error.code} {error.read()[:2000]!r}") from None

    def log_in(self, username: str, password: str) -> None:
        self.browser.open(self.base + "/accounts/login/", timeout=30).read()  # sets the CSRF cookie
        form = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": self._csrf()}).encode()
        self.browser.open(self.base + "/accounts/login/", data=form, timeout=30).read()

    def _csrf(self) -> str:
        for handler in self.browser.handlers:
            if isinstance(handler, urllib.request.HTTPCookieProcessor):
                return next(cookie.value for cookie in handler.cookiejar if cookie.name == "csrftoken")
        raise AssertionError("no CSRF cookie")

    def page(self, path: str) -> tuple[int, str]:
        try:
            with self.browser.open(self.base + path, timeout=60) as response:
                return response.status, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")
