"""Real-world MassGen runs: the flat 0.1.1 layout with its restart cascade, an
orchestration restart whose tracker MassGen reset, `massgen --continue` in
0.1.97, interrupted and crashed runs, provider back-offs, rotated logs and
what `massgen logs summary` shows. The variants are built here from the
bundled samples, the way MassGen lays those runs out."""

from __future__ import annotations

import json
import re
import zipfile

import pytest

from analysis.massgen import read_session
from analysis.massgen.summary import summarize
from tests.reader.support import attempt_folder, mismatches, sample, summary_of, writable_copy, zip_folder
from tests.continuations import FOLLOW_UP_NAME, SESSION_ID, continuation
from tests.variants import RESTART_REASON, crashed_run, restarted_run

FLAT = sample("gemini-7agents-restarts", "0.1.1")
SPLIT = sample("crisis2008-3agents-split-vote", "0.1.43")
BLOOM = sample("bloom-filter-3agents-mixed-backends", "0.1.97")
TCP_97 = sample("tcp-udp-2agents-basic", "0.1.97")


def _attempt(summary, turn=0, attempt=0):
    return summary["turns"][turn]["attempts"][attempt]


# --- MassGen 0.1.1: flat layout, 17 restarts, nothing recorded about tokens --------------------


def test_a_flat_0_1_1_run_reads_as_turn_1_attempt_1_with_a_warning():
    summary = summary_of(FLAT.run)
    assert mismatches(FLAT.expected, summary) == []
    assert [turn["turn"] for turn in summary["turns"]] == [1]
    assert any("flat layout of MassGen 0.1.0-0.1.7" in warning for warning in summary["warnings"])


def test_figures_0_1_1_never_recorded_are_null_not_zero():
    attempt = _attempt(summary_of(FLAT.run))
    assert set(attempt["totals"].values()) == {None}
    for agent in attempt["agents"]:
        assert agent["input_tokens"] is None and agent["cost_usd"] is None and agent["enforcement_retries"] is None
        assert agent["provider_retries"] is None  # no massgen.log, no events.jsonl
    assert attempt["tool_calls"] is None and attempt["tools"] is None
    assert any("MassGen 0.1.1 did not write it (added in 0.1.27)" in warning for warning in attempt["warnings"])


def test_the_0_1_1_restart_cascade_is_counted_per_agent_from_restart_completed_events():
    attempt = _attempt(summary_of(FLAT.run))
    assert {agent["id"]: agent["restarts"] for agent in attempt["agents"]} == {
        "agent_1": 2, "agent_2": 3, "agent_3": 3, "agent_4": 3, "agent_5": 3, "agent_6": 1, "agent_7": 2,
    }
    assert attempt["restarts"] == 17 and attempt["restart_triggers"] == 7


def test_duplicate_final_and_session_end_events_collapse_and_the_last_session_end_is_the_end():
    session = read_session(FLAT.run)
    attempt = session.turns[0].accepted_attempt
    kinds = [event.kind for event in attempt.events]
    assert kinds.count("session_end") == 1 and kinds.count("final_answer") == 1 and kinds.count("final_selected") == 1
    assert kinds[-1] == "session_end"
    # "Session completed in 306.3s" is the run's last session_end.
    assert attempt.duration_seconds == pytest.approx(306.3, abs=0.05)
    assert attempt.complete is True and attempt.finish_reason == "completed"


# --- orchestration restart with a reset tracker (0.1.43) ---------------------------------------


def test_a_restarted_attempt_has_no_winner_but_says_who_presented_and_why_it_was_restarted(tmp_path):
    summary = summary_of(restarted_run(tmp_path))
    restarted, accepted = _attempt(summary), _attempt(summary, attempt=1)
    assert restarted["accepted"] is False and restarted["complete"] is False
    assert restarted["winner"] is None
    assert restarted["presented_by"] == "gpt-5-mini"
    assert restarted["restart_reason"] == RESTART_REASON
    assert accepted["winner"] == "gpt-5-mini" and accepted["restart_reason"] is None


def test_a_reset_tracker_gives_way_to_the_snapshot_folders_and_the_metadata_start(tmp_path):
    summary = summary_of(restarted_run(tmp_path))
    restarted = _attempt(summary)
    expected = SPLIT.expected["turns"][0]["attempts"][0]
    assert [(vote["voter"], vote["label"]) for vote in restarted["votes"]] == [
        (vote["voter"], vote["label"]) for vote in expected["votes"]
    ]
    assert [agent["answers"] for agent in restarted["agents"]] == [agent["answers"] for agent in expected["agents"]]
    # It really ran from the metadata timestamp (04:47:15.716) to the end, not 0.1 s.
    assert restarted["started_at"].startswith("2026-11-24T04:47:15.716")
    assert restarted["duration_seconds"] == pytest.approx(18.9, abs=0.2)
    # massgen.log's re-prompt of gemini falls in the real span, not the tracker's 0.1 s.
    assert restarted["agents"][2]["enforcement_retries"] == 1
    assert any("reset its coordination tracker" in warning for warning in restarted["warnings"])


def test_an_attempt_without_config_takes_the_sessions_config(tmp_path):
    accepted = _attempt(summary_of(restarted_run(tmp_path)), attempt=1)
    assert [(agent["backend"], agent["model"]) for agent in accepted["agents"]] == [
        (agent["backend"], agent["model"]) for agent in SPLIT.expected["turns"][0]["attempts"][0]["agents"]
    ]
    assert any("carried forward" in warning for warning in accepted["warnings"])


def test_a_run_that_stops_in_post_evaluation_without_a_restart_is_flagged_as_a_likely_crash(tmp_path):
    copy = crashed_run(tmp_path)
    attempt = _attempt(summary_of(copy))
    assert attempt["complete"] is False and attempt["likely_crash"] is True


def test_status_saying_complete_does_not_make_a_run_without_its_end_files_complete(tmp_path):
    copy = writable_copy(SPLIT.run, tmp_path)
    (attempt_folder(copy) / "coordination_events.json").unlink()
    attempt = _attempt(summary_of(copy))
    assert attempt["complete"] is False
    assert any("recorded as finished, but coordination_events.json is missing" in warning for warning in attempt["warnings"])
    assert attempt["likely_crash"] is False


# --- `massgen --continue` in 0.1.97 --------------------------------------------------------------


def _continuation(tmp_path, name=FOLLOW_UP_NAME):
    """The run and the second log_* folder `massgen --continue` (0.1.97) opens for it."""
    return writable_copy(TCP_97.run, tmp_path), continuation(tmp_path, name=name)


def test_a_continuation_folder_alone_reads_as_its_real_turn_without_a_phantom_turn_1(tmp_path):
    _, follow_up = _continuation(tmp_path)
    summary = summary_of(follow_up)
    assert [turn["turn"] for turn in summary["turns"]] == [2]
    attempt = _attempt(summary)
    assert attempt["winner"] == "gpt-5-mini" and attempt["complete"] is True
    assert attempt["tool_calls"] == TCP_97.expected["turns"][0]["attempts"][0]["tool_calls"]
    assert not any("has no event stream" in warning for warning in attempt["warnings"])
    assert any("massgen --continue" in warning for warning in summary["warnings"])
    # The model and backend come from the stub's metadata.
    assert attempt["agents"][0]["backend"] == "chatcompletion"


def test_a_session_read_together_with_its_continuation_is_one_session_with_all_turns(tmp_path):
    original, follow_up = _continuation(tmp_path)
    session = read_session(tmp_path)
    assert session.session_id == original.name
    assert [turn.number for turn in session.turns] == [1, 2]
    assert all(turn.accepted_attempt.winner == "gpt-5-mini" for turn in session.turns)
    assert session.turns[1].accepted_attempt.path.startswith(f"{follow_up.name}/turn_2/")
    # and from an archive of both, as an upload would bring them
    archive = tmp_path.parent / "both.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(tmp_path.rglob("*")):
            bundle.write(path, path.relative_to(tmp_path).as_posix())
    assert [turn["turn"] for turn in summarize(read_session(archive))["turns"]] == [1, 2]


# --- provider back-offs, rotated logs ------------------------------------------------------------


def test_a_gemini_back_off_is_counted_once_per_agent_from_massgen_log_and_events_jsonl():
    attempt = _attempt(summary_of(BLOOM.run))
    assert {agent["id"]: agent["provider_retries"] for agent in attempt["agents"]} == {
        "gpt-5-mini": 0, "claude-sonnet-4-5": 0, "gemini-2.5-flash": 1,
    }
    assert [retry["agent"] for retry in attempt["provider_retries"]] == ["gemini-2.5-flash"]
    assert "Retrying attempt 2/5" in attempt["provider_retries"][0]["message"]


def _rotate(log):
    """Loguru's rotation: the old log zipped beside a fresh one."""
    with zipfile.ZipFile(log.with_name("massgen.2026-11-24_04-50-40_000000.log.zip"), "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("massgen.2026-11-24_04-50-40_000000.log", log.read_bytes())
    log.write_bytes(b"")


def test_a_back_off_in_a_rotated_massgen_log_zip_is_read(tmp_path):
    copy = writable_copy(BLOOM.run, tmp_path)
    folder = attempt_folder(copy)
    _rotate(folder / "massgen.log")
    events = folder / "events.jsonl"
    events.write_text("".join(line for line in events.read_text().splitlines(True) if "Retrying attempt" not in line))
    attempt = _attempt(summary_of(copy))
    assert attempt["agents"][2]["provider_retries"] == 1
    assert "backing off" in attempt["provider_retries"][0]["message"]


def test_an_enforcement_re_prompt_in_a_rotated_massgen_log_zip_is_counted(tmp_path):
    copy = writable_copy(SPLIT.run, tmp_path)
    _rotate(attempt_folder(copy) / "massgen.log")
    assert _attempt(summary_of(copy))["agents"][2]["enforcement_retries"] == 1


def test_a_rotated_log_part_that_is_not_a_zip_is_skipped_with_a_warning(tmp_path):
    copy = writable_copy(SPLIT.run, tmp_path)
    (attempt_folder(copy) / "massgen.2026-11-24_04-47-00_000000.log.zip").write_bytes(b"not a zip")
    attempt = _attempt(summary_of(copy))
    assert attempt["agents"][2]["enforcement_retries"] == 1
    assert any("rotated part was not read" in warning for warning in attempt["warnings"])


# --- what `massgen logs summary` shows --------------------------------------------------------------


def test_api_timing_per_tool_figures_context_usage_and_subagents_are_in_the_summary():
    attempt = _attempt(summary_of(BLOOM.run))
    assert attempt["api_timing"]["total_calls"] == 18
    assert attempt["api_timing"]["avg_ttft_ms"] == pytest.approx(1549.35)
    assert [item["backend"] for item in attempt["api_timing"]["by_backend"]] == ["OpenAI", "Claude", "Gemini"]
    assert attempt["tools"] == [{"name": "custom_tool__text_stats", "calls": 8, "failures": 0, "total_ms": pytest.approx(48.91)}]
    assert attempt["context_usage"]["avg_pct"] == pytest.approx(2.45)
    assert set(attempt["context_usage"]["peak_pct_by_agent"]) == {"gpt-5-mini", "claude-sonnet-4-5", "gemini-2.5-flash"}
    assert attempt["subagents"] == []


def test_an_analysis_report_in_the_turn_folder_is_listed(tmp_path):
    copy = writable_copy(TCP_97.run, tmp_path)
    (copy / "turn_1" / "ANALYSIS_REPORT.md").write_text("# Analysis\n\nAll good.\n")
    session = read_session(copy)
    assert session.turns[0].analysis_report.read_text().startswith("# Analysis")
    assert summarize(session)["turns"][0]["analysis_report"] == {"path": "turn_1/ANALYSIS_REPORT.md", "size": 22}
    assert summary_of(TCP_97.run)["turns"][0]["analysis_report"] is None


def test_the_summary_only_gains_keys_for_every_sample_as_an_archive_too(tmp_path):
    summary = summary_of(zip_folder(FLAT.run, tmp_path / "flat.zip"))
    assert mismatches(FLAT.expected, summary) == []
    assert re.match(r"log_\d{8}_\d{6}$", summary["session_id"])


# --- limits: exactly at the limit, and one past it -----------------------------------------------


def _zip_log(folder, name, text):
    with zipfile.ZipFile(folder / name, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name.removesuffix(".zip"), text)


ENFORCEMENT_LINE = "04:47:20 | INFO     | Sending enforcement message to gemini-2.5-flash (no tool calls)\n"


def test_rotated_parts_are_read_up_to_the_limit_and_the_oldest_past_it_are_not(tmp_path, monkeypatch):
    from analysis.massgen import massgen_log

    monkeypatch.setattr(massgen_log, "MAX_ROTATED_PARTS", 2)
    copy = writable_copy(SPLIT.run, tmp_path)
    folder = attempt_folder(copy)
    (folder / "massgen.log").write_text("")
    for index in range(2):
        _zip_log(folder, f"massgen.2026-11-24_04-47-1{index}_000000.log.zip", ENFORCEMENT_LINE)
    attempt = _attempt(summary_of(copy))
    assert attempt["agents"][2]["enforcement_retries"] == 2
    assert not any("rotated parts" in warning for warning in attempt["warnings"])
    _zip_log(folder, "massgen.2026-11-24_04-47-00_000000.log.zip", ENFORCEMENT_LINE)
    attempt = _attempt(summary_of(copy))
    assert attempt["agents"][2]["enforcement_retries"] == 2
    assert any("more than 2 rotated parts" in warning for warning in attempt["warnings"])


def test_a_rotated_part_inflating_past_the_limit_is_skipped(tmp_path, monkeypatch):
    from analysis.massgen import massgen_log

    copy = writable_copy(SPLIT.run, tmp_path)
    folder = attempt_folder(copy)
    (folder / "massgen.log").write_text("")
    _zip_log(folder, "massgen.2026-11-24_04-47-10_000000.log.zip", ENFORCEMENT_LINE)
    monkeypatch.setattr(massgen_log, "MAX_ROTATED_PART_BYTES", len(ENFORCEMENT_LINE))
    assert _attempt(summary_of(copy))["agents"][2]["enforcement_retries"] == 1
    monkeypatch.setattr(massgen_log, "MAX_ROTATED_PART_BYTES", len(ENFORCEMENT_LINE) - 1)
    attempt = _attempt(summary_of(copy))
    assert attempt["agents"][2]["enforcement_retries"] == 0
    assert any("inflates past the rotated-log limits" in warning for warning in attempt["warnings"])


def test_runs_are_chained_up_to_the_limit_and_refused_past_it(tmp_path, monkeypatch):
    from analysis.massgen import RunFormatError, reader

    _continuation(tmp_path)
    monkeypatch.setattr(reader, "MAX_CHAINED_RUNS", 2)
    assert len(read_session(tmp_path).turns) == 2
    monkeypatch.setattr(reader, "MAX_CHAINED_RUNS", 1)
    with pytest.raises(RunFormatError, match="holds 2 MassGen runs"):
        read_session(tmp_path)


def test_two_runs_that_both_start_at_turn_1_are_not_one_session(tmp_path):
    from analysis.massgen import RunFormatError

    writable_copy(TCP_97.run, tmp_path)
    writable_copy(BLOOM.run, tmp_path)
    with pytest.raises(RunFormatError, match="holds 2 MassGen runs"):
        read_session(tmp_path)


def test_a_continuation_records_the_massgen_session_it_continues_and_the_first_run_the_one_it_created(tmp_path):
    original, follow_up = _continuation(tmp_path)
    first, later = summary_of(original), summary_of(follow_up)
    assert (first["massgen_session_id"], first["continues_session_id"]) == (SESSION_ID, None)
    assert (later["massgen_session_id"], later["continues_session_id"]) == (SESSION_ID, SESSION_ID)
    # read together they are one session, which continues nothing
    together = summarize(read_session(tmp_path))
    assert (together["massgen_session_id"], together["continues_session_id"]) == (SESSION_ID, None)


def test_a_run_without_massgen_log_takes_its_session_id_from_its_log_folder_name():
    assert summary_of(FLAT.run)["massgen_session_id"] == "session_20251026_001748"


def test_runs_read_together_are_chained_in_turn_order_whatever_their_folder_names(tmp_path):
    writable_copy(TCP_97.run, tmp_path)
    continuation(tmp_path, name="a-renamed-continuation")
    assert [turn.number for turn in read_session(tmp_path).turns] == [1, 2]
