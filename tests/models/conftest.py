"""Ready sample runs, a clean cache, and an environment whose keys decide which
models are available (the registry reads os.environ; nothing here has a real key)."""

from __future__ import annotations

import pytest

from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.samples import SAMPLE_RUNS, SPLIT_VOTE, ingest_sample

LONG_ANSWER = SAMPLE_RUNS / "massgen-0.1.97" / "postgres-sqlite-2agents-long-answer" / "log_20261124_045210_800693"


@pytest.fixture
def openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")


@pytest.fixture
def ready_run(people):
    return ingest_sample(people.team_a, SPLIT_VOTE)
