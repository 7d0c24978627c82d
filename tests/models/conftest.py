"""Ready sample runs, a clean cache, and an environment whose keys decide which
models are available (the registry reads os.environ; nothing here has a real key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.cache import cache

from webapp.runs import ingest, services
from webapp.runs.models import Run

SAMPLE_RUNS = Path(__file__).resolve().parent.parent / "fixtures" / "massgen-runs"
SAMPLE_SESSIONS = sorted(SAMPLE_RUNS.glob("massgen-*/*/log_*[0-9]"))
SPLIT_VOTE = SAMPLE_RUNS / "massgen-0.1.43" / "crisis2008-3agents-split-vote" / "log_20261124_044715_672265"
HTTP_ERRORS = SAMPLE_RUNS / "massgen-0.1.43" / "palindrome-3agents-http-errors" / "log_20261124_044651_263058"
LONG_ANSWER = SAMPLE_RUNS / "massgen-0.1.97" / "postgres-sqlite-2agents-long-answer" / "log_20261124_045210_800693"
# Variables that would make models available or change the default behind a test's back.
MODEL_ENVIRONMENT = (
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "DEBRIEF_ANALYSIS_MODEL", "DEBRIEF_MODELS_FILE", "OPENAI_BASE_URL",
)


def sample_id(folder: Path) -> str:
    return f"{folder.parent.parent.name}/{folder.parent.name}"


def ingest_sample(team, folder: Path) -> Run:
    """A sample run through the real import and ingest, synchronously."""
    run, _ = services.do_import_folder(team, folder, enqueue=False)
    ingest.ingest_run(run.pk)
    run.refresh_from_db()
    assert run.status == "ready", run.error
    return run


@pytest.fixture(autouse=True)
def clean_models_state(monkeypatch):
    for name in MODEL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def openai_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-0000")


@pytest.fixture
def ready_run(people):
    return ingest_sample(people.team_a, SPLIT_VOTE)
