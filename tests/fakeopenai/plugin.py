"""pytest fixtures for the fake OpenAI server. Load with
`pytest_plugins = ["tests.fakeopenai.plugin"]` in a top-level conftest."""

from __future__ import annotations

import pytest

from tests.fakeopenai.process import FakeOpenAIProcess
from tests.fakeopenai.server import FakeOpenAI


@pytest.fixture
def fake_openai():
    """A fresh in-process fake per test; `fake_openai.base_url` is the api_base."""
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def fake_openai_process(tmp_path):
    """The fake in a child process, for code under test running in another process;
    what it receives is read back from `fake_openai_process.record_path`."""
    with FakeOpenAIProcess(tmp_path / "fakeopenai-requests.jsonl") as fake:
        yield fake
