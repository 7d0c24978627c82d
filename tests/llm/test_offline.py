"""Offline by construction: importing litellm, estimating, analysing (OpenAI and
Anthropic paths) and planning compression make no outbound connection or lookup.
Checked in a fresh interpreter whose socket layer records (and refuses) anything
leaving the machine, because litellm swallows errors from its remote fetches."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE_TIMEOUT_SECONDS = 300
# The probe must show that Debrief's own settings keep litellm local, so none are inherited.
LITELLM_SWITCHES = ("LITELLM_LOCAL_MODEL_COST_MAP", "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "LITELLM_MODE", "HF_HUB_OFFLINE")


def test_import_estimate_analysis_and_compression_never_leave_the_machine():
    env = {key: value for key, value in os.environ.items() if key not in LITELLM_SWITCHES}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "tests.llm.offline_probe"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=PROBE_TIMEOUT_SECONDS,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
