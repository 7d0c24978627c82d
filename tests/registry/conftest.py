"""Registries built from an injected environment (never os.environ), and a tiny local
OpenAI-style `/models` endpoint for discovery tests. Nothing here touches the network."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from typing import Any

import pytest

from analysis.registry import Registry, RegistryConfig

_fresh = count()
SERVER_POLL_SECONDS = 0.01


def build(env: dict[str, str] | None = None, **settings: Any) -> Registry:
    """A registry of its own: the clock is part of the build cache key, so tests never
    share one (or its discovery cache) by accident."""
    tick = next(_fresh)
    return Registry.build(RegistryConfig(env=env or {}, **settings), clock=lambda: float(tick))


class ModelsServer(ThreadingHTTPServer):
    model_ids: list[str]
    gemini: bool = False  # also answer Gemini's /v1beta/models
    requests: list[tuple[str, dict[str, str]]]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _ModelsHandler(BaseHTTPRequestHandler):
    server: ModelsServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.requests.append((self.path, {key.lower(): value for key, value in self.headers.items()}))
        path = self.path.split("?")[0]
        if self.server.gemini and path == "/v1beta/models":
            body = json.dumps({"models": [{"name": f"models/{id_}"} for id_ in self.server.model_ids]})
        elif path in ("/v1/models", "/v1/v1/models"):
            body = json.dumps({"object": "list", "data": [{"id": id_, "object": "model"} for id_ in self.server.model_ids]})
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def models_server() -> Iterator[ModelsServer]:
    server = ModelsServer(("127.0.0.1", 0), _ModelsHandler)
    server.model_ids = ["local-llama", "gpt-5-mini"]
    server.requests = []
    # A short poll keeps shutdown() from waiting half a second per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": SERVER_POLL_SECONDS}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
