"""A person picks a model on the run page, sees the estimate, runs the analysis,
watches its progress and reads the report, in Chromium, on a real worker."""

from __future__ import annotations

import pytest

from tests.samples import HTTP_ERRORS, ingest_sample
from tests.analyses.support import assert_inert
from tests.browser import log_in
from webapp.analyses.models import Analysis

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPORT_TIMEOUT_MS = 60_000
SCREENSHOT = "analysis-report.png"


def test_pick_a_model_see_the_estimate_run_and_read_the_report(page, live_server, people, celery_worker, tmp_path):
    run = ingest_sample(people.team_a, HTTP_ERRORS)
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}{run.get_absolute_url()}")

    page.select_option("#analyse-model", "debrief/offline")
    total = page.get_by_test_id("estimate-total")
    total.wait_for()
    assert total.inner_text() == "$0"  # debrief/offline costs nothing
    page.get_by_role("button", name="Run analysis").click()

    page.wait_for_url(f"{live_server.url}/analyses/*/")
    page.locator(".verdict").wait_for(timeout=REPORT_TIMEOUT_MS)  # swapped in by the progress poll
    assert page.locator(".verdict").inner_text() == "WARN"
    findings = page.locator("#findings tbody tr")
    assert findings.count() == len(Analysis.objects.get().findings)

    page.get_by_role("navigation", name="Filter findings by severity").get_by_role("link", name="warning").click()
    page.wait_for_function("document.querySelectorAll('#findings tbody tr.info').length === 0")
    assert page.locator("#findings tbody tr.warning").count() == 2
    assert "severity=warning" in page.url
    assert page.locator(".report-markdown h1").inner_text() == "Offline analysis"
    assert_inert(page.locator(".report-markdown").inner_html())
    page.screenshot(path=str(tmp_path / SCREENSHOT), full_page=True)
