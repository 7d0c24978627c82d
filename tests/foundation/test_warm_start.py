"""Serving processes start with litellm imported and the estimate's tokenizers loaded,
so the first cost preview after a start is as quick as the next one; other processes
(CLI commands, Django's set-up) still never import litellm. How fast it is belongs to
bench/estimate.py, not here.

Each case runs in a fresh interpreter: this test session has long imported litellm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ESTIMATE_ENCODINGS = {"o200k_base", "cl100k_base"}
# Blocks (and records) every attempt to resolve a name or open a TCP connection, then
# does what the case needs and prints what was loaded, as JSON.
CHILD = """
import json, socket, sys
attempts = []
real_connect = socket.socket.connect
def refuse(what):
    attempts.append(repr(what))
    raise OSError("no network in this test")
def guarded_connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        refuse(address)
    return real_connect(self, address)
socket.socket.connect = guarded_connect
socket.getaddrinfo = lambda *args, **kwargs: refuse(args)
{action}
import os, tiktoken.registry
print(json.dumps({{
    "litellm": "litellm" in sys.modules,
    "encodings": sorted(tiktoken.registry.ENCODINGS),
    "cost_map_offline": os.environ.get("LITELLM_LOCAL_MODEL_COST_MAP"),
    "network_attempts": attempts,
}}))
"""


def fresh_process(action: str, data_dir: Path) -> dict:
    # LITELLM_RUST would route tokenizers through litellm's native extension, whose loaded
    # encodings tiktoken.registry does not list.
    env = {name: value for name, value in os.environ.items() if name not in ("LITELLM_RUST", "DEBRIEF_ENV", "DEBUG")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DEBRIEF_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", CHILD.format(action=action)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_loading_the_wsgi_application_imports_litellm_and_the_estimates_tokenizers_offline(tmp_path):
    loaded = fresh_process("import webapp.wsgi", tmp_path)
    assert loaded["litellm"]
    assert ESTIMATE_ENCODINGS <= set(loaded["encodings"])
    assert loaded["cost_map_offline"] == "True"
    assert loaded["network_attempts"] == []


def test_setting_django_up_for_a_cli_command_still_does_not_import_litellm(tmp_path):
    loaded = fresh_process("import django; django.setup(); import webapp.urls", tmp_path)
    assert not loaded["litellm"]
    assert not loaded["encodings"]
