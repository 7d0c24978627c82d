"""`debrief models list` and `debrief analyze ... --estimate-only`."""

from __future__ import annotations

import io
import json
import sys

import pytest
from django.core.management import CommandError, call_command

from webapp.llm.services import estimate_for_run, estimate_material, path_material
from tests.samples import SPLIT_VOTE


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def no_terminal(monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)


def test_models_list_prints_a_table_marking_the_default(openai_key):
    out, _ = run("models", "list", "--provider", "openai", "--available")

    lines = out.splitlines()
    assert lines[0].split()[:2] == ["MODEL", "PROVIDER"]
    assert any(line.startswith("*") and " gpt-5-mini " in line for line in lines)
    assert all("unavailable" not in line for line in lines)


def test_models_list_json_is_the_api_shape():
    out, _ = run("models", "list", "--json")

    rows = json.loads(out)
    offline = next(row for row in rows if row["name"] == "debrief/offline")
    assert offline["available"] and offline["is_default"]
    assert any(row["unavailable_reason"] == "OPENAI_API_KEY is not set" for row in rows)


def test_analyze_a_folder_prints_the_estimate_without_a_database(openai_key, django_db_blocker):
    with django_db_blocker.block():  # any query would fail the test
        out, _ = run("analyze", str(SPLIT_VOTE), "--model", "gpt-5-mini", "--estimate-only", "--json")

    assert json.loads(out) == estimate_material(path_material(SPLIT_VOTE), "gpt-5-mini")


def test_analyze_a_run_id_prints_the_estimate_in_words(ready_run, openai_key):
    out, _ = run("analyze", str(ready_run.pk), "--model", "gpt-5-mini", "--estimate-only")

    total = estimate_for_run(ready_run, "gpt-5-mini")["total_usd"]
    assert out.startswith("gpt-5-mini: ")
    assert f"-> ${total:.2f}" in out
    assert "Context: fits" in out


def test_an_unknown_model_fails_with_close_matches(openai_key):
    with pytest.raises(CommandError, match="Did you mean gpt-5-mini"):
        run("analyze", str(SPLIT_VOTE), "--model", "gpt5-mini", "--estimate-only")


def test_an_unavailable_model_fails_naming_the_missing_variable():
    with pytest.raises(CommandError, match="OPENAI_API_KEY is not set"):
        run("analyze", str(SPLIT_VOTE), "--model", "gpt-5-mini", "--estimate-only")


def test_an_unknown_target_fails_clearly():
    with pytest.raises(CommandError, match="neither a run id nor a folder"):
        run("analyze", "/nowhere/log_1", "--model", "debrief/offline")


def test_without_a_model_or_a_terminal_it_fails_clearly(openai_key, no_terminal):
    with pytest.raises(CommandError, match="Name a model with --model"):
        run("analyze", str(SPLIT_VOTE), "--estimate-only")


def test_a_configured_default_needs_no_model(openai_key, monkeypatch, no_terminal):
    monkeypatch.setenv("DEBRIEF_ANALYSIS_MODEL", "gpt-5-nano")

    out, _ = run("analyze", str(SPLIT_VOTE), "--estimate-only", "--json")

    assert json.loads(out)["model"] == "gpt-5-nano"


def test_on_a_terminal_it_offers_the_usable_models_with_this_runs_estimate(openai_key, settings, monkeypatch):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    answers = iter(["9", "3"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))

    out, err = run("analyze", str(SPLIT_VOTE), "--estimate-only")

    menu = out.splitlines()[:3]
    assert [line.split()[:2] for line in menu] == [["1.", "gpt-5-mini"], ["2.", "gpt-5-nano"], ["3.", "debrief/offline"]]
    assert menu[0].endswith("[recommended]") and menu[1].endswith("[cheapest that fits]")
    assert all(line.split()[2].startswith("$") and " fits " in line for line in menu)
    assert "reasoning" in menu[0] and "of 272,000 tokens" in menu[0]
    assert "Type a number from 1 to 3." in err
    assert out.splitlines()[3].startswith("debrief/offline: ")


def test_on_a_terminal_a_model_the_endpoint_does_not_list_is_not_offered(openai_key, settings, monkeypatch):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano")
    openai_key.configure(models=["gpt-5-nano"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "")

    out, _ = run("analyze", str(SPLIT_VOTE), "--estimate-only")

    menu = [line.split()[1] for line in out.splitlines() if line.split()[0].rstrip(".").isdigit()]
    assert menu == ["gpt-5-nano", "debrief/offline"]


def test_models_list_for_a_run_prints_the_same_table(openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano")

    out, _ = run("models", "list", "--for", str(SPLIT_VOTE))
    rows = json.loads(run("models", "list", "--for", str(SPLIT_VOTE), "--json")[0])

    assert [line.split()[1] for line in out.splitlines()] == ["gpt-5-mini", "gpt-5-nano", "debrief/offline"]
    assert [row["name"] for row in rows] == ["gpt-5-mini", "gpt-5-nano", "debrief/offline"]
    assert rows[0]["recommended"] and rows[1]["cheapest_fitting"] and rows[1]["fit"] == "fits"


def test_models_list_shows_only_what_the_endpoint_lists_and_live_asks_again(openai_key, settings):
    settings.DEBRIEF_MODEL_ALLOWLIST = ("gpt-5-mini", "gpt-5-nano", "gpt-4o")
    openai_key.configure(models=["gpt-5-mini", "gpt-4o"])

    rows = {row["name"]: row for row in json.loads(run("models", "list", "--json")[0])}
    assert rows["gpt-5-mini"]["listed_live"] and rows["gpt-4o"]["available"]
    assert rows["gpt-5-nano"]["unavailable_reason"].startswith("not offered by this endpoint")

    openai_key.configure(models=["gpt-5-nano"])
    cached = {row["name"]: row for row in json.loads(run("models", "list", "--json")[0])}
    refreshed = {row["name"]: row for row in json.loads(run("models", "list", "--json", "--live")[0])}
    assert not cached["gpt-5-nano"]["available"] and refreshed["gpt-5-nano"]["listed_live"]
    assert len(openai_key.requests_to("models")) == 2
