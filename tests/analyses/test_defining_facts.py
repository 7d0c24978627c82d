"""The $0 analysis (debrief/offline) of a run leads with what defines it, as a
person reading the raw files would: one run of each kind the issue names (a
provider back-off, a restart and its reason, a timeout with ignored votes, a
split vote, a crash, an HTTP error, a restart cascade), each ingested through
the real import and ingest, then analysed through the real pipeline."""

from __future__ import annotations

import pytest

from tests.analyses.support import work
from tests.reader.support import sample
from tests.samples import ingest_sample
from tests.variants import RESTART_REASON, TIMEOUT_DETAILS, crashed_run, restarted_run, timed_out_run
from webapp.analyses import services

pytestmark = pytest.mark.django_db

IGNORED_VOTES = 51  # as many as the real 0.1.43 no-tools timeout run


def _sample(scenario, version):
    return lambda tmp_path: sample(scenario, version).run


KINDS = {
    # kind: (build the run folder, the lead finding's category, what its title and evidence must name)
    "provider back-off": (
        _sample("bloom-filter-3agents-mixed-backends", "0.1.97"), "provider_backoff",
        ["gemini-2.5-flash's provider rate-limited it", "backed off and retried 1 time"],
    ),
    "restart and its reason": (
        restarted_run, "orchestration_restart",
        ["Attempt 1 was restarted: post-evaluation rejected gpt-5-mini's answer", f"reason: {RESTART_REASON}"],
    ),
    "timeout with ignored votes": (
        lambda tmp_path: timed_out_run(tmp_path, IGNORED_VOTES), "timeouts",
        [f"timeout before the agents converged ({IGNORED_VOTES} votes ignored)", TIMEOUT_DETAILS],
    ),
    "split vote": (_sample("crisis2008-3agents-split-vote", "0.1.43"), "split_vote", ["The vote was split 2–1"]),
    "crash": (crashed_run, "crash", ["MassGen likely crashed", "post-evaluation ended without a verdict"]),
    "HTTP error": (
        _sample("palindrome-3agents-http-errors", "0.1.43"), "errors", ["agent_c hit 1 error: HTTP 500", "Error code: 500"],
    ),
    "restart cascade": (
        _sample("gemini-7agents-restarts", "0.1.1"), "restart_cascade",
        ["Restart cascade: 17 restarts across 7 of 7 agents", "about 119 agent calls restarted"],
    ),
}


@pytest.mark.parametrize("kind", KINDS)
def test_the_free_analysis_leads_with_the_fact_that_defines_the_run(kind, people, tmp_path, no_enqueue):
    build, category, named = KINDS[kind]
    run = ingest_sample(people.team_a, build(tmp_path))
    analysis = work(services.do_request_analysis(run, people.alice, "debrief/offline"))
    assert analysis.status == "done", analysis.error
    lead = analysis.findings[0]
    assert lead["category"] == category, [finding["title"] for finding in analysis.findings]
    said = " ".join([lead["title"], *lead["evidence"]])
    for words in named:
        assert words in said
    # and the report a person reads starts from the same finding
    assert lead["title"] in analysis.report_markdown
