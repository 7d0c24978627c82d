"""The report page: titled with the run's question and a one-line verdict,
re-run through the cost preview, findings listed once, compare headers that
tell two analyses apart, API docs with code and examples."""

import pytest

from tests.factories import AnalysisFactory
from tests.pages.conftest import make_coordinated_run
from tests.samples import ingest_sample
from webapp.analyses.models import Analysis
from webapp.analyses.templatetags.report_format import drop_findings_section, finding_tally

pytestmark = pytest.mark.django_db

FINDING = {"category": "cost", "severity": "warning", "title": "Pricey", "evidence": ["agent1.1", "errors"],
           "recommendation": "Cheaper model."}


@pytest.fixture
def alice(client, people):
    client.force_login(people.alice)
    return client


def test_re_running_shows_the_estimate_and_starts_nothing_until_confirmed(alice, people):
    run = ingest_sample(people.team_a)  # an estimate reads the stored run
    analysis = AnalysisFactory(run=run, model="debrief/offline", findings=[FINDING], verdict="warn")
    report = alice.get(f"/analyses/{analysis.pk}/").content.decode()
    assert f'<form method="get" action="/runs/{run.pk}/estimate"' in report
    preview = alice.get(f"/runs/{run.pk}/estimate", {"model": "debrief/offline", "compression": "auto"})
    page = preview.content.decode()
    assert preview.status_code == 200 and f'action="/runs/{run.pk}/analyses/"' in page and "Run analysis · about" in page
    assert Analysis.objects.filter(run=run).count() == 1


def test_the_report_is_titled_with_the_question_and_a_one_line_verdict(alice, people):
    run = make_coordinated_run(people.team_a)
    analysis = AnalysisFactory(run=run, findings=[FINDING, {**FINDING, "severity": "info"}], verdict="warn")
    body = alice.get(f"/analyses/{analysis.pk}/").content.decode()
    assert "<h1>Which protocol? </h1>" in body or "<h1>Which protocol?</h1>" in body
    assert "1 warning, 1 info" in body


def test_answer_labels_in_evidence_link_to_the_run_page(alice, people):
    run = make_coordinated_run(people.team_a)
    analysis = AnalysisFactory(run=run, findings=[FINDING], verdict="warn", attempt=run.attempts.get())
    body = alice.get(f"/analyses/{analysis.pk}/").content.decode()
    assert f'href="/runs/{run.pk}/?turn=1&amp;attempt=1#label-agent1.1"' in body
    assert '<code class="evidence">errors</code>' in body


def test_the_reports_own_findings_section_is_left_out():
    markdown = "# R\n\nIntro\n\n## Findings\n\n### warning: x\n\n- a\n\n## Next\n\nkept\n```\n## Findings\n```\n"
    kept = drop_findings_section(markdown)
    assert "warning: x" not in kept and "Intro" in kept and "## Next" in kept and "kept" in kept
    assert finding_tally([]) == "no findings"


def test_compare_headers_name_the_model_and_the_time(alice, people):
    run = make_coordinated_run(people.team_a)
    left = AnalysisFactory(run=run, model="debrief/offline", findings=[FINDING])
    right = AnalysisFactory(run=run, model="debrief/offline", findings=[])
    body = alice.get(f"/analyses/compare?a={left.pk}&b={right.pk}").content.decode()
    assert body.count('<th scope="col"><a class="mono"') == 2
    assert left.created_at.strftime("%Y-%m-%d %H:%M") in body


def test_api_docs_show_inline_code_and_example_bodies(alice):
    body = alice.get("/api/v1/docs").content.decode()
    assert "`" not in body.split("<h1>")[1].split("curl")[0]
    assert "<code>" in body and "Example request body" in body and "Example 200 response" in body


def test_a_pending_analysis_reloads_itself_without_javascript(alice, people):
    analysis = AnalysisFactory(run=make_coordinated_run(people.team_a), status="running")
    assert '<noscript><meta http-equiv="refresh"' in alice.get(f"/analyses/{analysis.pk}/").content.decode()


def test_the_report_and_its_findings_fragment_vary_on_hx_request(alice, people):
    analysis = AnalysisFactory(run=make_coordinated_run(people.team_a), findings=[FINDING])
    response = alice.get(f"/analyses/{analysis.pk}/?severity=warning", headers={"HX-Request": "true", "HX-Target": "findings"})
    assert "HX-Request" in response["Vary"] and "<html" not in response.content.decode()
