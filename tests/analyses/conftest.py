"""Ready sample runs, a custom model served by the fake OpenAI server, and a
worker of our own for the tests that need a real one.

The custom model reaches the registry the way a deployment's does: a models file
named by DEBRIEF_MODELS_FILE (docs/models.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.samples import ingest_sample

FAKE_MODEL = "fake/analyst"  # our name for it; the fake server is asked for FAKE_MODEL_ID
FAKE_MODEL_ID = "gpt-5-mini"
FALLBACK_MODEL = "fake/backup"
# Dollars per million tokens: large enough that a small run's estimate is cents.
FAKE_INPUT_USD_PER_MTOK = 10.0
FAKE_OUTPUT_USD_PER_MTOK = 40.0


def models_toml(base_url: str, context_window: int = 200_000) -> str:
    entries = []
    for name in (FAKE_MODEL, FALLBACK_MODEL):
        entries.append(
            f'[[models]]\nname = "{name}"\nmodel = "{FAKE_MODEL_ID}"\nbase_url = "{base_url}"\n'
            f"context_window = {context_window}\nmax_output_tokens = 8000\n"
            f"input_usd_per_mtok = {FAKE_INPUT_USD_PER_MTOK}\noutput_usd_per_mtok = {FAKE_OUTPUT_USD_PER_MTOK}\n"
        )
    return "\n".join(entries)


@pytest.fixture
def fake_model(fake_openai, tmp_path, monkeypatch):
    """FAKE_MODEL and FALLBACK_MODEL, both answered by the in-process fake server."""
    path = tmp_path / "models.toml"
    path.write_text(models_toml(fake_openai.base_url))
    monkeypatch.setenv("DEBRIEF_MODELS_FILE", str(path))
    return fake_openai


@pytest.fixture
def ready_run(people):
    return ingest_sample(people.team_a)


def analysis_calls(fake) -> list:
    """The requests the fake answered for analyses (chat completions: custom models use them)."""
    return [request for request in fake.requests() if request.endpoint == "chat"]


@pytest.fixture
def no_enqueue(monkeypatch):
    """Requests stay queued: the test runs the task's steps itself."""
    monkeypatch.setattr("webapp.analyses.services.enqueue", lambda analysis_id: None)


def worker_env(models_file: Path, keyprefix: str) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "tests.analyses.worker_settings",
        "DEBRIEF_BROKER_KEYPREFIX": keyprefix,
        "DEBRIEF_MODELS_FILE": str(models_file),
        "DEBRIEF_TASK_SOFT_TIME_LIMIT": "12",
        "DEBRIEF_TASK_TIME_LIMIT": "15",
        "PYTHONPATH": str(settings.BASE_DIR) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
