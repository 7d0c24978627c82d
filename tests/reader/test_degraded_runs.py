"""Runs the tests derive from the samples: files deleted, cut short or
corrupted, interrupted runs, restarts and follow-up turns, timeouts, older
config shapes. Each still reads, to the figures its remaining files allow,
with a warning for every missing piece."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from analysis.massgen import read_session
from tests.reader.support import LAYERED_SAMPLES, attempt_folder, interrupted, mismatches, sample, summary_of, writable_copy

# Files an interrupted run lacks: MassGen writes them when coordination finishes.
END_OF_RUN_FILES = (
    "metrics_summary.json",
    "metrics_events.json",
    "coordination_events.json",
    "coordination_table.txt",
    "snapshot_mappings.json",
)


def _attempt(summary, turn=0, attempt=0):
    return summary["turns"][turn]["attempts"][attempt]


def _patch_json(path, **changes):
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize("run", LAYERED_SAMPLES, ids=str)
def test_it_takes_the_figures_from_status_json_when_metrics_summary_is_missing(run, tmp_path):
    copy = writable_copy(run.run, tmp_path)
    (attempt_folder(copy) / "metrics_summary.json").unlink()
    summary = summary_of(copy)
    assert mismatches(interrupted(run.expected), summary) == []
    warnings = _attempt(summary)["warnings"]
    assert any("metrics_summary.json is missing" in warning for warning in warnings)
    assert any("recorded as finished, but metrics_summary.json is missing" in warning for warning in warnings)


@pytest.mark.parametrize("run", LAYERED_SAMPLES, ids=str)
def test_it_still_finds_every_vote_when_coordination_events_is_cut_mid_file(run, tmp_path):
    copy = writable_copy(run.run, tmp_path)
    events = attempt_folder(copy) / "coordination_events.json"
    data = events.read_bytes()
    events.write_bytes(data[: len(data) // 2])
    summary = summary_of(copy)
    assert mismatches(interrupted(run.expected), summary) == []
    warnings = _attempt(summary)["warnings"]
    assert any("coordination_events.json" in warning and "only the events before that point" in warning for warning in warnings)


@pytest.mark.parametrize("run", LAYERED_SAMPLES, ids=str)
def test_it_reconstructs_an_interrupted_run_from_status_snapshots_and_the_stream(run, tmp_path):
    copy = writable_copy(run.run, tmp_path)
    for name in END_OF_RUN_FILES:
        (attempt_folder(copy) / name).unlink()
    summary = summary_of(copy)
    assert mismatches(interrupted(run.expected), summary) == []
    warnings = " | ".join(_attempt(summary)["warnings"])
    assert "metrics_summary.json is missing" in warnings
    assert "coordination_events.json is missing" in warnings


@pytest.mark.parametrize("run", LAYERED_SAMPLES, ids=str)
def test_it_recovers_answers_votes_winner_and_tools_from_snapshots_and_stream_alone(run, tmp_path):
    copy = writable_copy(run.run, tmp_path)
    for name in (*END_OF_RUN_FILES, "status.json"):
        (attempt_folder(copy) / name).unlink()
    attempt = _attempt(summary_of(copy))
    expected = run.expected["turns"][0]["attempts"][0]
    assert attempt["winner"] == expected["winner"]
    assert attempt["votes"] == [dict(vote, reason=got["reason"]) for vote, got in zip(expected["votes"], attempt["votes"])]
    assert [(agent["id"], agent["answers"], agent["votes_cast"]) for agent in attempt["agents"]] == [
        (agent["id"], agent["answers"], agent["votes_cast"]) for agent in expected["agents"]
    ]
    assert attempt["tool_calls"] == expected["tool_calls"]
    assert attempt["complete"] is False and attempt["finish_reason"] == "unknown"
    assert attempt["started_at"] is not None and attempt["duration_seconds"] is not None
    assert any("no file records token usage" in warning for warning in attempt["warnings"])
    assert attempt["totals"]["input_tokens"] is None and attempt["totals"]["cost_usd"] is None
    assert {agent["cost_usd"] for agent in attempt["agents"]} == {None}


def test_it_reads_a_massgen_log_with_a_byte_that_is_not_utf8(tmp_path):
    run = sample("crisis2008-3agents-split-vote", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    log = attempt_folder(copy) / "massgen.log"
    log.write_bytes(b"04:47:15 | INFO     | caf\xe9 \xff\xfe broken\n" + log.read_bytes())
    summary = summary_of(copy)
    assert mismatches(run.expected, summary) == []
    assert _attempt(summary)["agents"][2]["enforcement_retries"] == 1


def test_it_warns_about_an_unreadable_status_json_and_uses_the_other_files(tmp_path):
    run = sample("bloom-filter-3agents-mixed-backends", "0.1.97")
    copy = writable_copy(run.run, tmp_path)
    (attempt_folder(copy) / "status.json").write_bytes(b'{"finish_reason": "compl')
    summary = summary_of(copy)
    attempt = _attempt(summary)
    assert attempt["winner"] == "gpt-5-mini"
    assert attempt["totals"] == dict(run.expected["turns"][0]["attempts"][0]["totals"], cached_input_tokens=0)
    assert any("turn_1/attempt_1/status.json: is not valid JSON" in warning for warning in attempt["warnings"])


def test_it_skips_unreadable_lines_of_events_jsonl_and_says_which(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.97")
    copy = writable_copy(run.run, tmp_path)
    stream = attempt_folder(copy) / "events.jsonl"
    lines = stream.read_bytes().splitlines(keepends=True)
    stream.write_bytes(b"".join([lines[0], b"{not json\n", b"\x00\xff\n", *lines[1:]]))
    summary = summary_of(copy)
    assert mismatches(run.expected, summary) == []
    assert any("events.jsonl: 2 unreadable line(s) skipped (first: line 2, 3)" in w for w in _attempt(summary)["warnings"])


def _follow_up_session(tmp_path):
    """turn_1 with two restarted attempts before the accepted one, and a
    `--continue` follow-up in turn_2, built from two 0.1.43 samples."""
    first = sample("tcp-udp-2agents-basic", "0.1.43")
    second = sample("crisis2008-3agents-split-vote", "0.1.43")
    session = writable_copy(first.run, tmp_path)
    turn_1 = session / "turn_1"
    (turn_1 / "attempt_1").rename(turn_1 / "attempt_3")
    for number, reason in ((1, "error"), (2, "timeout")):
        restarted = turn_1 / f"attempt_{number}"
        shutil.copytree(turn_1 / "attempt_3", restarted)
        for name in END_OF_RUN_FILES:
            (restarted / name).unlink()
        details = f"attempt {number} failed"
        _patch_json(restarted / "status.json", finish_reason=reason, is_complete=False, finish_reason_details=details)
    writable_copy(second.run / "turn_1", tmp_path / "other")
    (tmp_path / "other" / "turn_1").rename(session / "turn_2")
    return session, first, second


def test_it_reads_restarted_attempts_and_follow_up_turns(tmp_path):
    session_dir, first, second = _follow_up_session(tmp_path)
    session = read_session(session_dir)
    assert [turn.number for turn in session.turns] == [1, 2]
    assert [attempt.number for attempt in session.turns[0].attempts] == [1, 2, 3]
    assert [attempt.accepted for attempt in session.turns[0].attempts] == [False, False, True]
    assert session.turns[0].accepted_attempt.number == 3
    summary = summary_of(session_dir)
    first_turn, second_turn = summary["turns"]
    assert mismatches(dict(first.expected["turns"][0]["attempts"][0], attempt=3), first_turn["attempts"][2]) == []
    assert mismatches(dict(second.expected["turns"][0], turn=2), second_turn) == []
    failed = first_turn["attempts"][0]
    assert (failed["complete"], failed["finish_reason"], failed["accepted"]) == (False, "error", False)
    assert failed["errors"][-1] == {"agent": None, "kind": "error", "message": "attempt 1 failed"}
    assert first_turn["attempts"][1]["errors"][-1]["kind"] == "timeout"


def test_it_keeps_a_follow_up_turns_log_lines_out_of_the_first_turn(tmp_path):
    # MassGen 0.1.43 appends a --continue turn's lines to turn_1/attempt_1/massgen.log.
    run = sample("tcp-udp-2agents-basic", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    log = attempt_folder(copy) / "massgen.log"
    later = b"04:58:02 | INFO     | [Orchestrator] Sending enforcement message to gpt-5-mini (109 chars): Finish your work\n"
    log.write_bytes(log.read_bytes() + later)
    agents = _attempt(summary_of(copy))["agents"]
    assert [agent["enforcement_retries"] for agent in agents] == [0, 0]


def test_it_reports_an_orchestrator_timeout_and_agent_timeouts(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.97")
    copy = writable_copy(run.run, tmp_path)
    folder = attempt_folder(copy)
    for name in END_OF_RUN_FILES:
        if name != "coordination_events.json":
            (folder / name).unlink()
    details = "Orchestrator timeout after 300s"
    _patch_json(folder / "status.json", finish_reason="timeout", is_complete=False, finish_reason_details=details)
    events = json.loads((folder / "coordination_events.json").read_text())
    events["events"].insert(
        5,
        {
            "timestamp": events["events"][4]["timestamp"],
            "event_type": "agent_timeout",
            "agent_id": "claude-sonnet-4-5",
            "details": "TIMEOUT: agent exceeded 180s",
            "context": {"iteration": 1, "round": 0},
        },
    )
    (folder / "coordination_events.json").write_text(json.dumps(events))
    attempt = _attempt(summary_of(copy))
    assert (attempt["complete"], attempt["finish_reason"]) == (False, "timeout")
    assert {"agent": "claude-sonnet-4-5", "kind": "timeout", "message": "agent exceeded 180s"} in attempt["errors"]
    assert {"agent": None, "kind": "timeout", "message": "Orchestrator timeout after 300s"} in attempt["errors"]
    assert {agent["id"]: agent["errors"] for agent in attempt["agents"]} == {"gpt-5-mini": 0, "claude-sonnet-4-5": 1}


def test_it_reads_a_run_that_crashed_during_a_restart(tmp_path):
    run = sample("palindrome-3agents-http-errors", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    folder = attempt_folder(copy)
    for name in END_OF_RUN_FILES:
        (folder / name).unlink()
    for final in (folder / "final", copy / "turn_1" / "final"):
        for answer in final.rglob("answer.txt"):
            answer.unlink()
    _patch_json(folder / "status.json", finish_reason="in_progress", is_complete=False, results={"votes": {}, "winner": None})
    attempt = _attempt(summary_of(copy))
    assert (attempt["complete"], attempt["finish_reason"], attempt["winner"]) == (False, "in_progress", None)
    assert attempt["final_answer_chars"] is None
    assert len(attempt["votes"]) == 3


def test_it_reads_an_older_single_agent_config(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    metadata_file = attempt_folder(copy) / "execution_metadata.yaml"
    metadata = yaml.safe_load(metadata_file.read_text())
    metadata["config"] = {"agent": {"id": "gpt-5-mini", "backend": {"type": "openai", "model": "gpt-4o"}}}
    metadata_file.write_text(yaml.safe_dump(metadata))
    agents = _attempt(summary_of(copy))["agents"]
    assert [(agent["id"], agent["backend"], agent["model"]) for agent in agents] == [
        ("gpt-5-mini", "openai", "gpt-4o"),
        ("claude-sonnet-4-5", None, None),
    ]


def test_it_names_agents_whose_config_has_no_id_after_the_runs_files(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    metadata_file = attempt_folder(copy) / "execution_metadata.yaml"
    metadata = yaml.safe_load(metadata_file.read_text())
    for agent in metadata["config"]["agents"]:
        del agent["id"]
    metadata_file.write_text(yaml.safe_dump(metadata))
    attempt = _attempt(summary_of(copy))
    assert [(agent["id"], agent["model"]) for agent in attempt["agents"]] == [
        ("gpt-5-mini", "gpt-5-mini"),
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
    ]
    assert mismatches(run.expected, summary_of(copy)) == []


def test_it_warns_when_execution_metadata_is_missing(tmp_path):
    run = sample("bloom-filter-3agents-mixed-backends", "0.1.97")
    copy = writable_copy(run.run, tmp_path)
    (attempt_folder(copy) / "execution_metadata.yaml").unlink()
    summary = summary_of(copy)
    attempt = _attempt(summary)
    assert summary["massgen_version"] is None
    assert [agent["backend"] for agent in attempt["agents"]] == [None, None, None]
    assert attempt["winner"] == "gpt-5-mini" and len(attempt["votes"]) == 3
    assert any("execution_metadata.yaml is missing" in warning for warning in attempt["warnings"])


def test_a_turn_without_attempt_folders_is_read_as_one_attempt(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.97")
    copy = writable_copy(run.run, tmp_path)
    attempt = attempt_folder(copy)
    shutil.rmtree(attempt / "final")  # turn_1/final already holds the same answer
    for child in attempt.iterdir():
        child.rename(copy / "turn_1" / child.name)
    attempt.rmdir()
    summary = summary_of(copy)
    assert summary["turns"][0]["attempts"][0]["winner"] == "gpt-5-mini"
    assert any("has no attempt_M folder" in warning for warning in summary["warnings"])


def test_it_takes_label_numbering_from_vote_files_when_the_version_does_not_decide(tmp_path):
    # 0.1.62 falls between the config-order (<= 0.1.60) and sorted-id (>= 0.1.65) schemes.
    run = sample("tcp-udp-2agents-basic", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    folder = attempt_folder(copy)
    metadata_file = folder / "execution_metadata.yaml"
    metadata_file.write_text(metadata_file.read_text().replace("massgen_version: 0.1.43", "massgen_version: 0.1.62"))
    for name in (*END_OF_RUN_FILES, "status.json"):
        (folder / name).unlink()
    attempt = read_session(copy).turns[0].accepted_attempt
    assert {answer.label: answer.agent for answer in attempt.answers} == {"agent1.1": "gpt-5-mini", "agent2.1": "claude-sonnet-4-5"}
    assert not any("numbered" in warning for warning in attempt.warnings)
    for vote_file in folder.glob("*/*/vote.json"):
        vote_file.unlink()
    attempt = read_session(copy).turns[0].accepted_attempt
    assert {answer.label: answer.agent for answer in attempt.answers} == {"agent1.1": "claude-sonnet-4-5", "agent2.1": "gpt-5-mini"}
    assert any("numbered by sorted agent id" in warning for warning in attempt.warnings)


def test_the_timeline_of_a_cut_coordination_file_still_shows_every_answer_and_vote(tmp_path):
    run = sample("crisis2008-3agents-split-vote", "0.1.43")
    copy = writable_copy(run.run, tmp_path)
    events = attempt_folder(copy) / "coordination_events.json"
    data = events.read_bytes()
    events.write_bytes(data[: len(data) // 2])
    attempt = read_session(copy).turns[0].accepted_attempt
    shown = [(event.kind, event.agent, event.label) for event in attempt.events if event.kind in ("answer", "vote")]
    assert sorted(shown) == sorted(
        [("answer", answer.agent, answer.label) for answer in attempt.answers]
        + [("vote", vote.voter, vote.label) for vote in attempt.votes]
    )


def test_each_error_appears_once_on_the_timeline(tmp_path):
    attempt = read_session(sample("palindrome-3agents-http-errors", "0.1.43").run).turns[0].accepted_attempt
    assert [(event.kind, event.agent) for event in attempt.events if event.kind == "error"] == [("error", "agent_c")]
