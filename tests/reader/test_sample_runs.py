"""The bundled real MassGen runs: every one reads, as a folder and as an
archive, to exactly the figures in its expected-summary.json."""

from __future__ import annotations

import json
import tarfile

import pytest

from analysis.massgen import RunFormatError, read_session
from analysis.massgen.summary import summarize
from tests.reader.support import (
    SAMPLES,
    mismatches,
    sample,
    summary_of,
    targz_folder,
    writable_copy,
    zip_folder,
)


@pytest.mark.parametrize("run", SAMPLES, ids=str)
def test_it_reproduces_the_expected_summary_of_each_sample_folder(run):
    assert mismatches(run.expected, summary_of(run.run)) == []


@pytest.mark.parametrize("run", SAMPLES, ids=str)
@pytest.mark.parametrize("pack", [zip_folder, targz_folder], ids=["zip", "tar.gz"])
def test_it_reads_each_sample_from_an_archive(run, pack, tmp_path):
    archive = pack(run.run, tmp_path / f"{run.run.name}.{'zip' if pack is zip_folder else 'tar.gz'}")
    summary = summary_of(archive)
    assert mismatches(run.expected, summary) == []
    assert summary["session_id"] == run.run.name


def test_it_reads_a_tgz_archive_made_from_inside_the_run_folder(tmp_path):
    run = sample("tcp-udp-2agents-basic", "0.1.97")
    archive = tmp_path / "upload.tgz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(run.run, arcname=".")  # members named ./turn_1/...
    summary = summary_of(archive)
    assert summary["session_id"] == "upload"
    assert mismatches({key: value for key, value in run.expected.items() if key != "session_id"}, summary) == []


def test_it_finds_the_run_below_a_massgen_logs_folder(tmp_path):
    run = sample("crisis2008-3agents-split-vote", "0.1.43")
    logs = tmp_path / ".massgen" / "massgen_logs"
    logs.mkdir(parents=True)
    writable_copy(run.run, logs)
    assert mismatches(run.expected, summary_of(tmp_path)) == []


def test_it_counts_every_vote_not_only_the_first():
    # gpt-5-mini votes twice; status.json keeps only its first vote.
    summary = summary_of(sample("postgres-sqlite-2agents-long-answer", "0.1.97").run)
    votes = summary["turns"][0]["attempts"][0]["votes"]
    assert [(vote["voter"], vote["label"]) for vote in votes if vote["voter"] == "gpt-5-mini"] == [
        ("gpt-5-mini", "agent1.1"),
        ("gpt-5-mini", "agent1.2"),
    ]


def test_it_keeps_every_vote_in_the_order_cast_with_reason_and_round():
    attempt = read_session(sample("crisis2008-3agents-split-vote", "0.1.43").run).turns[0].accepted_attempt
    assert [(vote.voter, vote.label) for vote in attempt.votes] == [
        ("claude-sonnet-4-5", "agent1.1"),
        ("gpt-5-mini", "agent1.2"),
        ("claude-sonnet-4-5", "agent1.2"),  # the replaced vote is still a vote
        ("gemini-2.5-flash", "agent2.1"),
    ]
    assert all(vote.reason and vote.round is not None and vote.at is not None for vote in attempt.votes)
    assert all(vote.trace is not None for vote in attempt.votes)


def test_it_numbers_labels_by_config_position_up_to_0_1_60():
    attempt = read_session(sample("tcp-udp-2agents-basic", "0.1.43").run).turns[0].accepted_attempt
    assert {answer.label: answer.agent for answer in attempt.answers} == {"agent1.1": "gpt-5-mini", "agent2.1": "claude-sonnet-4-5"}


def test_it_numbers_labels_by_sorted_agent_id_from_0_1_65():
    attempt = read_session(sample("tcp-udp-2agents-basic", "0.1.97").run).turns[0].accepted_attempt
    assert {answer.label: answer.agent for answer in attempt.answers} == {"agent1.1": "claude-sonnet-4-5", "agent2.1": "gpt-5-mini"}


def test_it_reports_the_http_500_as_an_error_of_the_agent_that_got_it():
    summary = summary_of(sample("palindrome-3agents-http-errors", "0.1.43").run)
    attempt = summary["turns"][0]["attempts"][0]
    assert [(error["agent"], error["kind"]) for error in attempt["errors"]] == [("agent_c", "error")]
    assert "Error code: 500" in attempt["errors"][0]["message"]
    agents = {agent["id"]: agent for agent in attempt["agents"]}
    assert agents["agent_c"]["errors"] == 1
    assert agents["agent_c"]["enforcement_retries"] == 2


def test_it_counts_a_re_prompt_that_status_json_does_not_record():
    # 0.1.43 left gemini's `reliability` empty although massgen.log shows the re-prompt.
    summary = summary_of(sample("crisis2008-3agents-split-vote", "0.1.43").run)
    agents = {agent["id"]: agent for agent in summary["turns"][0]["attempts"][0]["agents"]}
    assert {agent: figures["enforcement_retries"] for agent, figures in agents.items()} == {
        "gpt-5-mini": 0,
        "claude-sonnet-4-5": 0,
        "gemini-2.5-flash": 1,
    }


def test_it_loads_answer_texts_only_when_asked():
    run = sample("postgres-sqlite-2agents-long-answer", "0.1.97")
    attempt = read_session(run.run).turns[0].accepted_attempt
    long_answer = max(attempt.answers, key=lambda answer: answer.text.size)
    assert long_answer.text.size > 40_000
    assert len(repr(long_answer)) < 1_000  # a path and a size, not the text
    text = long_answer.read_text()
    assert len(text.encode()) == long_answer.text.size
    assert attempt.read_final_answer().startswith("# PostgreSQL vs SQLite")


def test_it_counts_the_final_answer_in_characters_not_bytes():
    run = sample("bloom-filter-3agents-mixed-backends", "0.1.97")
    summary = summary_of(run.run)
    final = (run.run / "turn_1" / "final" / "gpt-5-mini" / "answer.txt").read_text(encoding="utf-8")
    assert summary["turns"][0]["attempts"][0]["final_answer_chars"] == len(final)


def test_it_gives_the_start_time_with_the_runs_utc_offset_and_the_wall_clock_duration():
    attempt = summary_of(sample("tcp-udp-2agents-basic", "0.1.43").run)["turns"][0]["attempts"][0]
    assert attempt["started_at"] == "2026-11-24T04:46:10.086325+00:00"
    assert attempt["duration_seconds"] == 10.976


def test_its_timeline_holds_coordination_events_not_stream_chunks():
    attempt = read_session(sample("bloom-filter-3agents-mixed-backends", "0.1.97").run).turns[0].accepted_attempt
    kinds = [event.kind for event in attempt.events]
    assert kinds[0] == "session_start" and kinds[-1] == "session_end"
    assert kinds.count("answer") == 4 and kinds.count("vote") == 3 and kinds.count("vote_ignored") == 1
    assert {"restart", "final_selected", "final_answer"} <= set(kinds)
    assert len(attempt.events) < 50
    times = [event.at for event in attempt.events]
    assert times == sorted(times)


def test_it_exposes_rounds_tools_and_per_agent_backends():
    attempt = read_session(sample("bloom-filter-3agents-mixed-backends", "0.1.97").run).turns[0].accepted_attempt
    assert [(agent.id, agent.backend, agent.model) for agent in attempt.agents] == [
        ("gpt-5-mini", "openai", "gpt-5-mini"),
        ("claude-sonnet-4-5", "claude", "claude-sonnet-4-5-20250929"),
        ("gemini-2.5-flash", "gemini", "gemini-2.5-flash"),
    ]
    assert len(attempt.rounds) == 8
    assert sum(round_.input_tokens for round_ in attempt.rounds) == 78240  # status.json's round total
    assert [(tool.name, tool.calls, tool.failures) for tool in attempt.tools] == [("custom_tool__text_stats", 8, 0)]
    assert attempt.tools[0].total_ms == pytest.approx(48.91)  # metrics_summary.json rounds it


def test_it_lists_every_file_of_the_session_with_its_size():
    run = sample("tcp-udp-2agents-basic", "0.1.43").run
    session = read_session(run)
    listed = {entry.path: entry.size for entry in session.iter_files()}
    on_disk = {path.relative_to(run).as_posix(): path.stat().st_size for path in run.rglob("*") if path.is_file()}
    assert listed == on_disk
    assert session.text("turn_1/attempt_1/status.json").read_text().startswith("{")


def test_the_file_browser_cannot_leave_the_session(tmp_path):
    run = writable_copy(sample("tcp-udp-2agents-basic", "0.1.43").run, tmp_path)
    (tmp_path / "secret.txt").write_text("outside")
    (run / "turn_1" / "escape").symlink_to(tmp_path)
    (run / "turn_1" / "link.txt").symlink_to(tmp_path / "secret.txt")
    session = read_session(run)
    for path in ("../secret.txt", "/etc/passwd", "turn_1/escape/secret.txt", "turn_1/link.txt", "turn_1", ""):
        with pytest.raises(RunFormatError):
            session.text(path)
    assert "turn_1/link.txt" not in {entry.path for entry in session.iter_files()}


def test_summary_is_plain_json_data():
    summary = summarize(read_session(sample("crisis2008-3agents-split-vote", "0.1.43").run))
    assert json.loads(json.dumps(summary)) == summary
