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



# --- what defines a run leads -------------------------------------------------------------------

FIXTURES = SMALLEST.parent.parent.parent
FLAT_0_1_1 = FIXTURES / "massgen-0.1.1" / "gemini-7agents-restarts" / "log_20251026_001748"
BLOOM = FIXTURES / "massgen-0.1.97" / "bloom-filter-3agents-mixed-backends" / "log_20261124_045036_777916"


def test_the_0_1_1_run_leads_with_its_restart_cascade():
    report = analyze(facts_of(FLAT_0_1_1))
    lead = report.findings[0]
    assert lead.category == "restart_cascade"
    assert lead.title == "Restart cascade: 17 restarts across 7 of 7 agents made the run take 5 min 6 s"
    assert "about 119 agent calls restarted (each restart re-runs all 7 agents)" in lead.evidence
    assert "not recorded by MassGen 0.1.1" in report.report_markdown and "$0" not in report.report_markdown


def test_restarts_at_one_per_answer_are_not_a_cascade():
    # Each new answer restarts the others once by design (2 answers, 2 restarts).
    assert "restart_cascade" not in categories(analyze(facts_of(SMALLEST)))


def test_exactly_as_many_restarts_as_agents_beyond_one_per_answer_is_a_cascade_and_one_fewer_is_not():
    facts = facts_of(SPLIT_VOTE)  # 3 agents, 4 answers
    assert "restart_cascade" in categories(analyze(replace(facts, restarts=5, answers=facts.answers[:3])))
    assert "restart_cascade" not in categories(analyze(replace(facts, restarts=2, answers=facts.answers[:1])))


def test_a_provider_back_off_leads_the_run_it_defines():
    lead = analyze(facts_of(BLOOM)).findings[0]
    assert lead.category == "provider_backoff"
    assert lead.title == "gemini-2.5-flash's provider rate-limited it: MassGen backed off and retried 1 time"


def test_the_http_error_leads_the_http_errors_run_and_the_split_leads_the_split_vote_run():
    assert analyze(facts_of(HTTP_ERRORS)).findings[0].category == "errors"
    assert analyze(facts_of(SPLIT_VOTE)).findings[0].category == "split_vote"


def _ignored(count):
    from analysis.digest.facts import EventFacts

    return tuple(EventFacts(None, "vote_ignored", "agent_a", "vote ignored: answers changed") for _ in range(count))


def test_a_timeout_with_ignored_votes_leads_and_says_how_many_were_ignored():
    facts = replace(facts_of(SMALLEST), finish_reason="timeout", complete=False, events=_ignored(51))
    report = analyze(facts)
    assert report.findings[0].title == "The run ended on a timeout before the agents converged (51 votes ignored)"
    assert next(f for f in report.findings if f.category == "ignored_votes").title == "51 votes were ignored by the orchestrator"


def test_ignored_votes_become_a_warning_at_the_limit_and_stay_a_note_below_it():
    from analysis.offline.checks import IGNORED_VOTES_WARNING

    def severity(count):
        report = analyze(replace(facts_of(SMALLEST), events=_ignored(count)))
        return next(f.severity for f in report.findings if f.category == "ignored_votes")

    assert severity(IGNORED_VOTES_WARNING) == "warning"
    assert severity(IGNORED_VOTES_WARNING - 1) == "info"


def test_a_likely_crash_leads_as_critical():
    report = analyze(replace(facts_of(SMALLEST), finish_reason="unknown", complete=False, likely_crash=True))
    assert report.verdict == "fail"
    assert report.findings[0].category == "crash"


def test_a_restarted_turn_names_whose_answer_was_rejected_and_why():
    from analysis.digest.facts import OtherAttemptFacts

    reason = "The answer omits the bail-outs."
    facts = replace(
        facts_of(SPLIT_VOTE),
        attempt=2,
        other_attempts=(OtherAttemptFacts(1, "in_progress", None, presented_by="gpt-5-mini", restart_reason=reason, duration_seconds=18.9),),
    )
    report = analyze(facts)
    assert report.findings[0].category == "orchestration_restart"
    assert report.findings[0].title == "Attempt 1 was restarted: post-evaluation rejected gpt-5-mini's answer"
    assert f"reason: {reason}" in report.findings[0].evidence
