"""The Models block of the settings fails at start-up on a bad value, naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


def load_settings(**overrides) -> subprocess.CompletedProcess:
    """Import the real settings in a fresh interpreter with this environment."""
    env = {**os.environ, **overrides}
    code = "import webapp.settings as s; print(s.DEBRIEF_MODEL_ALLOWLIST, s.DEBRIEF_MODEL_BASE_URLS, s.DEBRIEF_COST_WARNING_USD)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("DEBRIEF_MODELS_FILE", "/nowhere/models.toml", "DEBRIEF_MODELS_FILE='/nowhere/models.toml' is not a file."),
        ("OPENAI_BASE_URL", "ftp://gateway", "OPENAI_BASE_URL='ftp://gateway' must start with one of: http://, https://."),
        ("DEBRIEF_COST_WARNING_USD", "lots", "DEBRIEF_COST_WARNING_USD='lots' is not a number."),
        ("DEBRIEF_MODEL_DISCOVERY_TTL_SECONDS", "-1", "DEBRIEF_MODEL_DISCOVERY_TTL_SECONDS='-1' must be at least 0."),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_variable(name, value, message):
    result = load_settings(**{name: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_a_models_file_must_be_toml_or_yaml(tmp_path):
    path = tmp_path / "models.json"
    path.write_text("{}")

    result = load_settings(DEBRIEF_MODELS_FILE=str(path))

    assert "must end in .toml, .yaml, .yml" in result.stderr


def test_good_values_are_parsed():
    result = load_settings(
        DEBRIEF_MODEL_ALLOWLIST="gpt-5*, anthropic/claude-*", ANTHROPIC_BASE_URL="https://gw.example/anthropic",
        DEBRIEF_COST_WARNING_USD="2.5",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('gpt-5*', 'anthropic/claude-*') {'anthropic': 'https://gw.example/anthropic'} 2.5"
