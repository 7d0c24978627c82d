"""The fake OpenAI-compatible server: a stdlib ThreadingHTTPServer on 127.0.0.1.

Tests drive it in-process through `FakeOpenAI`, or in another process (a real
Celery worker's peer) through `python -m tests.fakeopenai` and `FakeOpenAIProcess`;
both expose the same controls (see controls.py)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.fakeopenai.controls import CONTROL_PREFIX, FakeControls, run_control
from tests.fakeopenai.endpoints import Outgoing, handle
from tests.fakeopenai.recording import RecordedRequest
from tests.fakeopenai.state import FakeState

HOST = "127.0.0.1"
# How often serve_forever looks for a shutdown request: the default 0.5 s would be
# paid by every test that uses a fresh server.
SHUTDOWN_POLL_SECONDS = 0.02
READY_LINE = "FAKEOPENAI_READY"  # what `python -m tests.fakeopenai` prints, with the base URL, once it serves


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:  # the test output stays readable
        pass

    def _serve(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith(CONTROL_PREFIX):
            self._write(run_control(self.server.state, self.command, self.path, raw))
            return
        request = RecordedRequest(self.command, self.path, dict(self.headers.items()), _parse(raw), raw)
        self._write(handle(self.server.state, request))

    def _write(self, outgoing: Outgoing) -> None:
        if outgoing.delay:
            time.sleep(outgoing.delay)
        try:
            self.send_response(outgoing.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(outgoing.body)))
            for name, value in outgoing.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(outgoing.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its time-out), as tests intend
            pass


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, state: FakeState):
        super().__init__((HOST, port), _Handler)
        self.state = state


class FakeOpenAI(FakeControls):
    """In-process server: `with FakeOpenAI() as fake: fake.base_url ...`."""

    def __init__(self, port: int = 0, record_path: str | Path | None = None):
        self.state = FakeState(Path(record_path) if record_path else None)
        self._server = _Server(port, self.state)
        self._thread = threading.Thread(target=self.serve_forever, name="fakeopenai", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> "FakeOpenAI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever(poll_interval=SHUTDOWN_POLL_SECONDS)

    def _control(self, command: str, **arguments: Any) -> Any:
        return getattr(self.state, command)(**arguments)

    def all_requests(self) -> list[RecordedRequest]:
        return self.state.requests()
