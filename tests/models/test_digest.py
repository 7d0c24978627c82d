"""The digest of every sample run: complete (every vote, error and key fact),
deterministic, and free of secrets."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.digest import build_digest, digest_tokens, key_fact_coverage, key_facts

from analysis.offline.checks import digest_findings
from analysis.digest.text import one_line
from analysis.massgen import read_session
from analysis.massgen.summary import summarize
from tests.samples import HTTP_ERRORS, SAMPLE_SESSIONS, SPLIT_VOTE, sample_id

SECRET = "sk-proj-Zx9Kq2Lm4Np6Rs8Tu0Vw2Yz4Ab6Cd8Ef"


@pytest.fixture(params=SAMPLE_SESSIONS, ids=sample_id)
def sample(request) -> Path:
    return request.param


def test_the_digest_states_every_vote_with_its_reason_and_every_error_the_reader_reports(sample):
    session = read_session(sample)
    facts = build_digest(session, findings=digest_findings).input.facts
    summary = summarize(session)["turns"][0]["attempts"][-1]

    assert summary["votes"], "every sample run has votes"
    for vote in summary["votes"]:
        assert f"{vote['voter']}→{vote['label']}" in facts
        assert one_line(vote["reason"]) in facts
    for error in summary["errors"]:
        assert one_line(error["message"]) in facts
    assert f"## Votes ({len(summary['votes'])}," in facts
    assert f"## Errors and timeouts ({len(summary['errors'])})" in facts


def test_the_digest_alone_holds_every_key_fact(sample):
    session = read_session(sample)
    digest = build_digest(session, findings=digest_findings)

    assert key_fact_coverage(key_facts(session), digest.input.facts) == 1.0
    assert key_fact_coverage(key_facts(session), digest.input.raw_text()) < 1.0  # the raw material is not the facts


def test_key_facts_name_the_winner_every_vote_every_model_and_the_totals():
    session = read_session(SPLIT_VOTE)
    facts = key_facts(session)

    assert facts[0] == "gpt-5-mini"
    assert {"claude-sonnet-4-5→agent1.1", "claude-sonnet-4-5→agent1.2", "gemini-2.5-flash→agent2.1", "gpt-5-mini→agent1.2"} <= set(facts)
    assert {"claude-sonnet-4-5", "gemini-2.5-flash"} <= set(facts)
    assert {"input tokens 31705", "output tokens 4022", "cost $0.059927"} <= set(facts)
    assert key_fact_coverage(facts, "gpt-5-mini input tokens 31705") == pytest.approx(2 / len(facts))


def test_the_same_run_gives_the_same_digest_byte_for_byte_wherever_it_is_stored(sample, tmp_path):
    copy = tmp_path / sample.name
    shutil.copytree(sample, copy)

    first, second, moved = (build_digest(read_session(path), findings=digest_findings).input for path in (sample, sample, copy))

    assert first == second == moved


def test_run_facts_carry_what_the_offline_analyzer_computes_from():
    facts = build_digest(read_session(SPLIT_VOTE), findings=digest_findings).facts

    answers = {answer.label: answer for answer in facts.answers}
    assert answers["agent1.2"].voters == ("gpt-5-mini", "claude-sonnet-4-5")
    assert not answers["agent3.1"].received_votes
    assert facts.agent("gpt-5-mini").answers == 2
    assert facts.agent("claude-sonnet-4-5").cost_usd == pytest.approx(0.047952)
    assert len(facts.rounds) == len(read_session(SPLIT_VOTE).turns[0].accepted_attempt.rounds)
    assert all(r.outcome for r in facts.rounds)


def test_run_facts_group_enforcement_attempts_per_round():
    facts = build_digest(read_session(HTTP_ERRORS), findings=digest_findings).facts

    (entry,) = facts.enforcement_by_round
    assert (entry.agent, entry.round, entry.attempts, entry.reasons) == ("agent_c", 0, 2, ("api_error", "no_tool_calls"))
    assert [error.agent for error in facts.errors] == ["agent_c"]


def test_the_raw_material_comes_in_priority_order_with_the_log_around_each_error():
    digest = build_digest(read_session(HTTP_ERRORS), findings=digest_findings)

    keys = [part.key for part in digest.input.raw]
    assert keys[0] == "final_answer"
    assert keys[1:5] == ["answer:agent1.1", "answer:agent3.1", "answer:agent2.1", "answer:agent1.2"]
    assert keys[5] == "trace:agent_c:1"
    assert "Streaming error: Error code: 500" in digest.input.raw[5].text


def test_counts_are_per_section_with_the_given_tokenizer():
    digest = build_digest(read_session(SPLIT_VOTE), findings=digest_findings)

    counted = digest_tokens(digest.input, lambda text: len(text.split()))

    assert counted.facts == len(digest.input.facts.split())
    assert [key for key, _ in counted.raw] == [part.key for part in digest.input.raw]
    assert counted.raw_total == sum(len(part.text.split()) for part in digest.input.raw)


def _plant_secrets(folder: Path) -> None:
    """A secret in an answer, a vote reason, the log around an error, and a failed tool call's arguments."""
    attempt = folder / "turn_1" / "attempt_1"
    answer = next(attempt.glob("agent_a/*/answer.txt"))
    answer.write_text(answer.read_text() + f"\nMy key: {SECRET}\n")
    events = attempt / "coordination_events.json"
    document = json.loads(events.read_text())
    for event in document["events"]:
        if event["event_type"] == "vote_cast":
            event["details"] = f"{event['details']} OPENAI_API_KEY={SECRET}"
            event["context"]["reason"] = f"Best answer. api_key: {SECRET}"
    events.write_text(json.dumps(document))
    log = attempt / "massgen.log"
    log.write_text(log.read_text().replace("| ERROR    | Streaming error:", f"| INFO     | token={SECRET}\n00:00:00 | ERROR    | Streaming error:", 1))
    trace = next(attempt.glob("agent_a/*/execution_trace.md"))
    trace.write_text(
        trace.read_text()
        + f'\n### Tool Call: web_fetch\n**Args**:\n```json\n{{"url": "https://example.com", "api_key": "{SECRET}"}}\n```\n'
        + "\n### Tool Error: web_fetch\n```\nHTTP 403: forbidden\n```\n"
    )


def test_secrets_never_reach_the_digest(tmp_path):
    copy = tmp_path / HTTP_ERRORS.name
    shutil.copytree(HTTP_ERRORS, copy)
    _plant_secrets(copy)

    digest = build_digest(read_session(copy), findings=digest_findings)
    everything = digest.input.facts + digest.input.raw_text() + digest.input.run_title

    assert SECRET not in everything
    assert "[REDACTED]" in digest.input.raw_text()
    (failed,) = digest.facts.failed_tool_calls
    assert (failed.agent, failed.tool, failed.error) == ("agent_a", "web_fetch", "HTTP 403: forbidden")
    assert "[REDACTED]" in failed.arguments
    assert digest.input.raw[-1].key == "tool_error:agent_a:1"


# --- real-world runs: unknown figures, restarts, back-offs, MassGen's own figures ---------------

FLAT_0_1_1 = Path(__file__).resolve().parent.parent / "fixtures" / "massgen-runs" / "massgen-0.1.1" / "gemini-7agents-restarts" / "log_20251026_001748"
BLOOM = Path(__file__).resolve().parent.parent / "fixtures" / "massgen-runs" / "massgen-0.1.97" / "bloom-filter-3agents-mixed-backends" / "log_20261124_045036_777916"


def test_figures_a_version_never_recorded_are_said_to_be_unrecorded_never_zero():
    facts = build_digest(read_session(FLAT_0_1_1), findings=digest_findings).input.facts
    assert "totals: tokens and cost not recorded by MassGen 0.1.1" in facts
    assert "tool calls not recorded by MassGen 0.1.1" in facts
    assert "API timing: not recorded by MassGen 0.1.1" in facts
    assert "$0.000000" not in facts and "cost $0" not in facts and "input tokens 0" not in facts


def test_the_digest_states_each_agents_restarts_and_the_runs_total():
    facts = build_digest(read_session(FLAT_0_1_1), findings=digest_findings).input.facts
    assert "restarts 17 (restart triggers 7)" in facts
    assert "- agent_2: model gemini-2.5-flash (backend gemini); status ?; answers 1 (agent2.1); votes cast 1; restarts 3;" in facts
    assert "restart_cascade: Restart cascade: 17 restarts across 7 of 7 agents" in facts


def test_the_digest_shows_provider_back_offs_with_the_errors_and_massgens_api_timing():
    facts = build_digest(read_session(BLOOM), findings=digest_findings).input.facts
    errors = facts[facts.index("## Errors and timeouts"):facts.index("## Enforcement")]
    assert "back-off, agent gemini-2.5-flash" in errors and "Retrying attempt 2/5" in errors
    assert "provider back-offs 1;" in facts
    assert "API timing: 18 calls" in facts and "- Gemini: 5 calls" in facts
    assert "context usage: average 2.5% of the window" in facts


def test_the_digest_names_an_existing_massgen_analysis_report(tmp_path):
    copy = tmp_path / BLOOM.name
    shutil.copytree(BLOOM, copy)
    (copy / "turn_1" / "ANALYSIS_REPORT.md").write_text("# Report\n")
    facts = build_digest(read_session(copy), findings=digest_findings).input.facts
    assert "MassGen analysis report: turn_1/ANALYSIS_REPORT.md" in facts
