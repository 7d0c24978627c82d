"""`debrief serve` as a user runs it: its own data folder, the embedded SQLite
database and broker, a real port. For the supervision and soak tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from tests.processes import LoggedProcess

READY_TIMEOUT_SECONDS = 90
# Whatever the suite's own configuration is, serve runs on the embedded defaults.
_SUITE_ONLY = (
    "DATABASE_URL", "CELERY_BROKER_URL", "DEBRIEF_BROKER_DIR", "DEBRIEF_BROKER_KEYPREFIX", "DEBRIEF_STORAGE_DIR", "DEBRIEF_STORAGE_URL",
    "DJANGO_SETTINGS_MODULE", "CACHE_URL", "DEBUG",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served(LoggedProcess):
    def __init__(self, data_dir: Path, **env: str):
        self.name = "serve"
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if k not in _SUITE_ONLY} | {"DEBRIEF_DATA_DIR": str(data_dir)} | env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "serve.log"
        self.process: subprocess.Popen | None = None
        self.prepared = False

    def prepare(self) -> "Served":
        """The data folder and its migrated database, once."""
        if not self.prepared:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.debrief("migrate", "--noinput")
            self.prepared = True
        return self

    def start(self, concurrency: int = 2) -> "Served":
        self.prepare()
        self._spawn([sys.executable, "-m", "webapp.cli", "serve", "--port", str(self.port), "--concurrency", str(concurrency)])
        self.wait_until(lambda: self.health().get("worker") == "ok", READY_TIMEOUT_SECONDS, "serve to be ready")
        return self

    def health(self) -> dict:
        try:
            return self.get("/healthz")
        except (OSError, ValueError):
            return {}

    def get(self, path: str, token: str | None = None) -> dict:
        return self.request("GET", path, token=token)

    def request(self, method: str, path: str, *, token: str | None = None, body: bytes | None = None, content_type: str | None = None) -> dict:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        if content_type:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            payload = json.loads(error.read() or b"{}")
            if error.code == 503 and path.startswith("/healthz"):
                return payload
            raise AssertionError(f"{method} {path}: {error.code} {payload}") from None

    def child(self, name: str) -> psutil.Process:
        """The supervised `web`, `worker` (ingest) or `analysis-worker` process (its main process)."""
        def is_it(cmdline: list[str]) -> bool:
            if name == "web":
                return "runserver" in cmdline
            return any(arg.startswith(f"--hostname={name}@") for arg in cmdline)

        for child in psutil.Process(self.process.pid).children():
            try:
                if is_it(child.cmdline()) and child.status() != psutil.STATUS_ZOMBIE:
                    return child
            except psutil.Error:  # gone, or a zombie not yet reaped
                continue
        raise AssertionError(f"serve has no {name} child:\n{self.output()[-3000:]}")


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = f"----debrief{time.time_ns()}"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
