"""A clean slate for tests whose outcome depends on which models are available:
the registry reads os.environ and caches what it built."""

from __future__ import annotations

import pytest
from django.core.cache import cache

# Variables that would make models available or change the default behind a test's back.
MODEL_ENVIRONMENT = (
    "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "GEMINI_API_KEY", "GOOGLE_API_KEY",
    "DEBRIEF_ANALYSIS_MODEL", "DEBRIEF_MODELS_FILE", "OPENAI_BASE_URL",
)


@pytest.fixture(autouse=True)
def clean_models_state(monkeypatch):
    """Autouse where a conftest imports it."""
    for name in MODEL_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    cache.clear()
    yield
    cache.clear()
