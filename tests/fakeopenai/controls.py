"""The test-facing controls, one set for both ways of running the fake: in-process
they call the state directly; for a server in another process they travel as JSON
to `POST /_fake/<command>`."""

from __future__ import annotations

import json
from typing import Any

from tests.fakeopenai.endpoints import Outgoing
from tests.fakeopenai.recording import RecordedRequest
from tests.fakeopenai.replies import Reply, error_body
from tests.fakeopenai.state import FakeState

CONTROL_PREFIX = "/_fake/"
LISTING_ENDPOINT = "models"
COMMANDS = frozenset({"script", "configure", "fail_compact", "set_context_window", "reset"})


class FakeControls:
    port: int

    @property
    def base_url(self) -> str:
        """What callers pass as `api_base`."""
        return f"http://127.0.0.1:{self.port}/v1"

    def script(self, endpoint: str, *replies: Reply) -> None:
        """Queue replies for "chat", "responses", "compact" or "models", answered in order."""
        self._control("script", endpoint=endpoint, replies=[reply.to_dict() for reply in replies])

    def configure(self, **options: Any) -> None:
        """Set FakeConfig fields: models, required_api_key, text_output_ratio, ..."""
        self._control("configure", **options)

    def fail_compact(self, model: str, status: int) -> None:
        """Make /v1/responses/compact answer `status` (400, 404, 500...) for `model`."""
        self._control("fail_compact", model=model, status=status)

    def set_context_window(self, model: str, tokens: int) -> None:
        """Answer 400 context_length_exceeded when a request's input passes `tokens`."""
        self._control("set_context_window", model=model, tokens=tokens)

    def reset(self) -> None:
        self._control("reset")

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [request for request in self.all_requests() if request.endpoint == endpoint]

    def requests(self) -> list[RecordedRequest]:
        """The model calls received, in order. Model listings (GET /v1/models, which
        live discovery sends before a call) are left out: `requests_to("models")`."""
        return [request for request in self.all_requests() if request.endpoint != LISTING_ENDPOINT]

    def all_requests(self) -> list[RecordedRequest]:
        raise NotImplementedError

    def _control(self, command: str, **arguments: Any) -> Any:
        raise NotImplementedError


def run_control(state: FakeState, method: str, path: str, raw: bytes) -> Outgoing:
    command = path[len(CONTROL_PREFIX) :]
    if method != "POST" or command not in COMMANDS:
        return Outgoing(404, json.dumps(error_body(f"No control {method} {path}", type="not_found")).encode())
    arguments = json.loads(raw or b"{}")
    try:
        getattr(state, command)(**arguments)
    except (TypeError, ValueError) as error:
        return Outgoing(400, json.dumps(error_body(str(error), type="invalid_control")).encode())
    return Outgoing(200, b"{}")
