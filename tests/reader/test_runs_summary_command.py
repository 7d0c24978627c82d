"""`debrief runs summary PATH [--json]`: works on a folder or an archive with
no database, prints the contract or a table, and fails with one clear line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from analysis.massgen.cli import render_table
from tests.reader.support import mismatches, sample, summary_of, zip_folder

REPO = Path(__file__).resolve().parents[2]


def _debrief(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    database = tmp_path / "must-not-exist.sqlite3"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "webapp.settings",
        "DEBRIEF_DATA_DIR": str(tmp_path / "var"),
        "SECRET_KEY": "test-secret-key-for-the-runs-summary-command",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert not database.exists(), "runs summary touched the database"
    return result


def test_it_prints_the_json_contract_without_a_database(tmp_path):
    run = sample("crisis2008-3agents-split-vote", "0.1.43")
    result = _debrief(tmp_path, "runs", "summary", str(run.run), "--json")
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed == summary_of(run.run)
    assert mismatches(run.expected, printed) == []


def test_it_prints_a_table_for_an_archive(tmp_path):
    run = sample("palindrome-3agents-http-errors", "0.1.43")
    archive = zip_folder(run.run, tmp_path / "run.zip")
    result = _debrief(tmp_path, "runs", "summary", str(archive))
    assert result.returncode == 0, result.stderr
    assert result.stdout == render_table(summary_of(archive))


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "no-such-run", "no-such-run: does not exist"),
        (lambda tmp: _slip(tmp / "evil.zip"), "evil.zip: member '../evil.txt' would be written outside the destination"),
    ],
    ids=["missing", "hostile"],
)
def test_it_fails_with_one_clear_line_and_exit_code_1(tmp_path, make_path, message):
    result = _debrief(tmp_path, "runs", "summary", str(make_path(tmp_path)))
    assert result.returncode == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _slip(archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../evil.txt", b"owned")
    return archive


def test_the_table_shows_each_agent_the_totals_votes_and_errors():
    table = render_table(summary_of(sample("palindrome-3agents-http-errors", "0.1.43").run))
    lines = table.splitlines()
    assert lines[0] == "Session log_20261124_044651_263058 (MassGen 0.1.43)"
    assert any(line.split()[:4] == ["agent_c", "chatcompletion", "google/gemini-2.5-flash", "1"] for line in lines)
    total = next(line for line in lines if line.strip().startswith("total"))
    assert "26,540" in total and "2,730" in total and "0.041505" in total
    assert "votes: agent_a -> agent_b (agent2.1); agent_b -> agent_b (agent2.1); agent_c -> agent_b (agent2.1)" in table
    assert "error: agent_c: Error code: 500" in table
    assert "rounds: answer 4, vote 3, presentation 1, restarted 3; tools: 7 calls, 0 failed" in table


def test_the_table_says_what_is_unknown_and_why():
    summary = summary_of(sample("tcp-udp-2agents-basic", "0.1.97").run)
    attempt = summary["turns"][0]["attempts"][0]
    attempt.update(duration_seconds=None, winner=None, question=None, complete=False, warnings=["status.json is missing"])
    table = render_table(summary)
    assert "(accepted, incomplete): completed, duration unknown, winner -" in table
    assert "Q: (question unknown)" in table
    assert "warning: status.json is missing" in table
