"""Ready sample runs, a clean cache, and an environment whose keys decide which
models are available (the registry reads os.environ; nothing here has a real key)."""

from __future__ import annotations

import pytest

from analysis.registry.litellm_catalog import litellm_catalog

from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.samples import SAMPLE_RUNS, SPLIT_VOTE, ingest_sample

LONG_ANSWER = SAMPLE_RUNS / "massgen-0.1.97" / "postgres-sqlite-2agents-long-answer" / "log_20261124_045210_800693"


@pytest.fixture(autouse=True)
def no_live_discovery(settings):
    """Keys for real providers would send live discovery to the internet: off, unless
    a test points the provider at the fake (`openai_key`) or turns it on itself."""
    settings.DEBRIEF_MODEL_DISCOVERY = False


@pytest.fixture
def openai_key(monkeypatch, fake_openai, settings):
    """An OpenAI key, with OpenAI's endpoint played by the fake server listing every
    OpenAI model litellm knows (live discovery asks it; nothing leaves the machine)."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.base_url)
    fake_openai.configure(models=sorted(m.api_model_id for m in litellm_catalog() if m.provider == "openai"))
    settings.DEBRIEF_MODEL_DISCOVERY = True
    return fake_openai


@pytest.fixture
def ready_run(people):
    return ingest_sample(people.team_a, SPLIT_VOTE)
