"""The pages under the real Content-Security-Policy in Chromium: not one violation
(a refused script, style or handler) on the key pages, htmx polling and the upload
script included."""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.factories import RunFactory
from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.pages.conftest import zip_folder
from tests.samples import SMALLEST
from tests.security.site import build_site

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Recorded from the first script the page runs, before any of its own.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective}: ${event.blockedURI || "inline"} at ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP complaint of the console and every violation event kept."""
    complaints = []
    page.on("console", lambda message: complaints.append(message.text) if "Content Security Policy" in message.text else None)
    page.add_init_script(RECORD_VIOLATIONS)
    page.complaints = complaints
    return page


def assert_no_violations(page, where: str) -> None:
    assert page.evaluate("window.cspViolations") == [], where
    assert page.complaints == [], where


def visit(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("typeof htmx") == "object"  # the scripts did run
    assert_no_violations(page, url)


def test_key_pages_run_with_no_csp_violation(watched, live_server, people, monkeypatch):
    site = build_site(people, monkeypatch)
    log_in(watched, live_server, "alice", people.password)
    base = live_server.url
    for path in ("/", "/runs/", f"/runs/{site.run.pk}/", f"/runs/{site.run.pk}/files/", f"/runs/{site.run.pk}/files/{site.file}",
                 "/models/", "/analyses/", f"/analyses/{site.analysis.pk}/", f"/analyses/{site.analysis.pk}/questions/",
                 "/team/tokens/", f"/teams/{site.team.slug}/", "/team/budget/", "/api/v1/docs", "/no/such/page/"):
        visit(watched, base + path)


def test_the_shared_report_and_the_login_page_have_no_csp_violation(watched, live_server, people, monkeypatch):
    site = build_site(people, monkeypatch)
    visit(watched, f"{live_server.url}/s/{site.share_token}/")
    visit(watched, f"{live_server.url}/accounts/login/")


def test_a_run_page_polling_its_status_has_no_csp_violation(watched, live_server, people):
    run = RunFactory(team=people.team_a, status="processing", bare=True)
    polls = []
    watched.on("request", lambda request: polls.append(request.url) if request.url.endswith("/status/") else None)
    log_in(watched, live_server, "alice", people.password)
    watched.goto(f"{live_server.url}/runs/{run.pk}/")
    watched.wait_for_timeout(2_500)  # the status partial polls every second
    assert len(polls) >= 2, polls
    assert_no_violations(watched, "polling run page")


def test_uploading_on_the_upload_page_has_no_csp_violation(watched, live_server, people, tmp_path, monkeypatch):
    monkeypatch.setattr("webapp.runs.services.runs.send_ingest", lambda run_id: None)  # stays queued: no worker here
    archive = zip_folder(SMALLEST, tmp_path / f"{SMALLEST.name}.zip")
    log_in(watched, live_server, "bob", people.password)
    visit(watched, f"{live_server.url}/runs/upload/")
    watched.set_input_files("input[name=file]", str(archive))
    row = watched.locator(".upload-item").first
    row.locator(".run-status").wait_for()  # the server's status fragment, swapped in by upload.js
    watched.wait_for_timeout(1_500)  # and polled by htmx
    assert_no_violations(watched, "upload")


def test_a_violation_would_be_seen(watched, live_server, people):
    # The check itself works: an inline style added to the page is refused and recorded.
    log_in(watched, live_server, "alice", people.password)
    watched.evaluate("document.body.insertAdjacentHTML('beforeend', '<div style=\"color: red\">x</div>')")
    watched.wait_for_function("window.cspViolations.length > 0")
    assert "style-src" in watched.evaluate("window.cspViolations")[0]
