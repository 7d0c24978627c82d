"""Run the fake in a child process and drive it from the test process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from tests.fakeopenai.controls import CONTROL_PREFIX, FakeControls
from tests.fakeopenai.recording import RecordedRequest, read_recorded
from tests.fakeopenai.server import READY_LINE

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60
CONTROL_TIMEOUT_SECONDS = 10


class FakeOpenAIProcess(FakeControls):
    def __init__(self, record_path: str | Path, port: int = 0):
        self.record_path = Path(record_path)
        self.port = port
        self._process: subprocess.Popen | None = None

    def start(self) -> "FakeOpenAIProcess":
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.fakeopenai", "--port", str(self.port), "--record", str(self.record_path)],
            cwd=PROJECT_ROOT,
            env=os.environ | {"PYTHONPATH": str(PROJECT_ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self._process.stdout.readline()  # blocks until the child is ready or dies
        if not line.startswith(READY_LINE):
            self.stop()
            raise RuntimeError(f"fake OpenAI server did not start (said {line!r})")
        self.port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
        return self

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=START_TIMEOUT_SECONDS)

    def __enter__(self) -> "FakeOpenAIProcess":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def all_requests(self) -> list[RecordedRequest]:
        return read_recorded(self.record_path)

    def _control(self, command: str, **arguments: Any) -> Any:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{CONTROL_PREFIX}{command}",
            data=json.dumps(arguments).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=CONTROL_TIMEOUT_SECONDS) as response:
            return json.loads(response.read())
