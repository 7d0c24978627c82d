"""A Debrief process a test starts and watches, as a user or an operator would run
it: its environment, a log file, waiting on a condition while it is alive, and a
clean stop. `debrief serve` (tests/serving.py) and the web and worker "machines"
(tests/machines.py) are both one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_TIMEOUT_SECONDS = 30


class LoggedProcess:
    name: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def debrief(self, *args: str) -> str:
        """`debrief ARGS` in this process's environment; its output."""
        result = subprocess.run(
            [sys.executable, "-m", "webapp.cli", *args], env=self.env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, f"debrief {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def _spawn(self, argv: list[str]) -> None:
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log_path.read_bytes().decode(errors="replace")

    def wait_until(self, condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited ({self.process.returncode}) while waiting for {what}:\n{self.output()[-5000:]}")
            if condition():
                return
            time.sleep(0.25)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n{self.output()[-5000:]}")

    def stop(self) -> int | None:
        """SIGTERM, then SIGKILL to the whole group if it has not ended in 30 s; the exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return self.process.returncode
