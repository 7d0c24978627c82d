"""debrief/offline: rule-based findings from a run's facts, the same every time."""

from __future__ import annotations

from dataclasses import replace

import pytest

from analysis.digest import build_digest

from analysis.offline.checks import digest_findings
from analysis.digest.facts import EnforcementRoundFacts, ReliabilityFacts, run_facts
from analysis.massgen import read_session
from analysis.offline.checks import (
    BUFFER_CHARS_LOST_RED_FLAG,
    COST_OUTLIER_RATIO,
    ENFORCEMENT_RETRIES_RED_FLAG,
    analyze,
)
from tests.samples import HTTP_ERRORS, SAMPLE_SESSIONS, SMALLEST, SPLIT_VOTE, sample_id


def facts_of(folder):
    return run_facts(read_session(folder))


def categories(report) -> list[str]:
    return [finding.category for finding in report.findings]


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_every_sample_run_gets_the_same_report_twice(folder):
    first, second = analyze(facts_of(folder)), analyze(facts_of(folder))
    assert first == second
    assert first.verdict in ("pass", "warn", "fail")
    assert first.report_markdown.startswith("# Offline analysis")
    assert f"**Verdict: {first.verdict}**" in first.report_markdown


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_every_finding_matches_the_report_schema(folder):
    for finding in analyze(facts_of(folder)).findings:
        data = finding.to_dict()
        assert set(data) == {"category", "severity", "title", "evidence", "recommendation"}
        assert data["severity"] in ("info", "warning", "critical")
        assert all(isinstance(item, str) for item in data["evidence"])


def test_the_http_errors_run_warns_about_the_error_and_the_retries():
    report = analyze(facts_of(HTTP_ERRORS))
    assert report.verdict == "warn"
    retried = next(f for f in report.findings if f.category == "enforcement")
    assert retried.title == "agent_c was re-prompted 2 times in round 0"
    error = next(f for f in report.findings if f.category == "errors")
    assert "500" in error.evidence[0]


def test_the_split_vote_run_reports_the_split_and_the_unvoted_agent():
    report = analyze(facts_of(SPLIT_VOTE))
    assert report.verdict == "pass"
    split = next(f for f in report.findings if f.category == "split_vote")
    assert split.title == "The vote was split 2–1"
    assert split.evidence == ("gpt-5-mini: 2 votes", "claude-sonnet-4-5: 1 vote")
    unvoted = next(f for f in report.findings if f.category == "unvoted_answers")
    assert "gemini-2.5-flash" in unvoted.title


def test_a_cost_outlier_is_named_with_its_ratio():
    report = analyze(facts_of(SPLIT_VOTE))
    outlier = next(f for f in report.findings if f.category == "cost_outlier")
    assert outlier.title.startswith("claude-sonnet-4-5 cost 8.0×")


def test_findings_are_ordered_critical_warning_info():
    order = {"critical": 0, "warning": 1, "info": 2}
    severities = [order[f.severity] for f in analyze(facts_of(HTTP_ERRORS)).findings]
    assert severities == sorted(severities)


# --- the limits: exactly at the limit, and one past it --------------------------------


def with_enforcement(attempts: int, chars_lost: int):
    facts = facts_of(SMALLEST)
    return replace(
        facts,
        enforcement_by_round=(EnforcementRoundFacts("gpt-5-mini", 1, attempts, chars_lost, ("no_tool_calls",) * attempts),),
        reliability=(ReliabilityFacts("gpt-5-mini", attempts, chars_lost, 0, "ok"),),
    )


def test_one_retry_below_the_red_flag_is_not_a_finding():
    assert "enforcement" not in categories(analyze(with_enforcement(ENFORCEMENT_RETRIES_RED_FLAG - 1, 0)))


def test_the_red_flag_number_of_retries_in_a_round_is_a_warning():
    report = analyze(with_enforcement(ENFORCEMENT_RETRIES_RED_FLAG, 0))
    assert "enforcement" in categories(report)
    assert report.verdict == "warn"


def test_exactly_the_red_flag_characters_lost_is_not_a_finding():
    assert "enforcement" not in categories(analyze(with_enforcement(1, BUFFER_CHARS_LOST_RED_FLAG)))


def test_one_character_past_the_red_flag_is_a_warning():
    report = analyze(with_enforcement(1, BUFFER_CHARS_LOST_RED_FLAG + 1))
    assert [f.title for f in report.findings if f.category == "enforcement"] == [
        f"gpt-5-mini lost {BUFFER_CHARS_LOST_RED_FLAG + 1:,} characters of output to re-prompts"
    ]


def with_costs(*costs: float):
    facts = facts_of(SMALLEST)
    template = facts.agents[0]
    agents = tuple(replace(template, id=f"agent_{i}", cost_usd=cost) for i, cost in enumerate(costs))
    return replace(facts, agents=agents)


def test_an_agent_at_exactly_the_outlier_ratio_is_an_outlier():
    report = analyze(with_costs(0.01, 0.01, 0.01 * COST_OUTLIER_RATIO))
    assert [f.title for f in report.findings if f.category == "cost_outlier"] == ["agent_2 cost 3.0× the other agents' median"]


def test_an_agent_just_under_the_outlier_ratio_is_not():
    assert "cost_outlier" not in categories(analyze(with_costs(0.01, 0.01, 0.0299)))


def test_a_timed_out_run_fails():
    report = analyze(replace(facts_of(SMALLEST), finish_reason="timeout"))
    assert report.verdict == "fail"
    assert report.findings[0].category == "timeouts"


def test_the_digest_sent_to_models_carries_the_offline_findings():
    digest = build_digest(read_session(HTTP_ERRORS), findings=digest_findings)
    assert "agent_c was re-prompted 2 times in round 0" in digest.input.facts

