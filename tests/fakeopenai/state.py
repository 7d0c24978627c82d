"""Everything a fake server remembers: its configuration, the scripted replies
waiting per endpoint, and the requests it has seen. Shared by the HTTP threads, so
every access holds the lock."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from tests.fakeopenai.recording import RecordedRequest
from tests.fakeopenai.replies import Reply
from tests.fakeopenai.routes import ROUTES

# What GET /v1/models lists unless configured: every model id the suites send to the
# fake, since live discovery refuses a model its endpoint does not list.
DEFAULT_MODELS = ("gpt-5-mini", "gpt-5.1-codex-mini", "tiny-model", "chat-model", "cheap-model")
# How long the fake's unscripted text replies are, relative to the request's input:
# tests that check cost estimates set these to the ratios the estimate assumes.
DEFAULT_TEXT_OUTPUT_RATIO = 0.2
DEFAULT_COMPACTION_RATIO = 0.05

AnalysisContent = dict | str | Callable[[RecordedRequest], "dict | str"] | None


@dataclass
class FakeConfig:
    models: list[str] = field(default_factory=lambda: list(DEFAULT_MODELS))
    context_windows: dict[str, int] = field(default_factory=dict)  # model -> max input tokens
    compact_failures: dict[str, int] = field(default_factory=dict)  # model -> HTTP status
    required_api_key: str | None = None
    text_output_ratio: float = DEFAULT_TEXT_OUTPUT_RATIO
    compaction_ratio: float = DEFAULT_COMPACTION_RATIO
    analysis_content: AnalysisContent = None  # None: DEFAULT_ANALYSIS_REPORT


CONFIG_FIELDS = {f.name for f in fields(FakeConfig)}


class FakeState:
    def __init__(self, record_path: Path | None = None):
        self._lock = threading.Lock()
        self._record_path = record_path
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.config = FakeConfig()
            self._queues: dict[str, deque[Reply]] = {name: deque() for name in ROUTES.values()}
            self._requests: list[RecordedRequest] = []

    def configure(self, **options: Any) -> None:
        unknown = set(options) - CONFIG_FIELDS
        if unknown:
            raise TypeError(f"unknown fake options: {sorted(unknown)}")
        with self._lock:
            for name, value in options.items():
                setattr(self.config, name, value)

    def fail_compact(self, model: str, status: int) -> None:
        with self._lock:
            self.config.compact_failures[model] = status

    def set_context_window(self, model: str, tokens: int) -> None:
        with self._lock:
            self.config.context_windows[model] = tokens

    def script(self, endpoint: str, replies: list[Reply | dict[str, Any]]) -> None:
        if endpoint not in self._queues:
            raise ValueError(f"unknown endpoint {endpoint!r}; one of {sorted(self._queues)}")
        with self._lock:
            self._queues[endpoint].extend(r if isinstance(r, Reply) else Reply.from_dict(r) for r in replies)

    def next_reply(self, endpoint: str) -> Reply | None:
        with self._lock:
            queue = self._queues.get(endpoint)
            return queue.popleft() if queue else None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            if self._record_path is not None:
                with self._record_path.open("a") as file:
                    file.write(request.to_json_line() + "\n")

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)
