"""The pages in Chromium at 1440 and 390 px: what a run's summary shows above
the fold, rendered answers, Back after an htmx search, layouts that fit a phone,
the branded 404, copy buttons. Every page is also saved as a full-page
screenshot under var/screenshots/ (DEBRIEF_SCREENSHOTS overrides), kept by CI
as artifacts and looked at by a person before a layout change is merged."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import log_in
from tests.factories import AnalysisFactory, RunFactory
from tests.pages.conftest import write_file
from tests.pages.triage_runs import RESTART_REASON, make_restarted_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(os.environ.get("DEBRIEF_SCREENSHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
REPORT = "# Review\n\nThe run went well.\n\n## Findings\n\n### warning: slow\n\n- agent1.1\n\n## Cost\n\nCheap.\n"


def shoot(page, name: str) -> None:
    """The whole page, and what shows before any scrolling (the fold)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-fold.png"))


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def triage(people):
    """A restarted run with errors, an analysis of it, and a markdown file."""
    run = make_restarted_run(people.team_a)
    analysis = AnalysisFactory(
        run=run, model="debrief/offline", verdict="warn", report_markdown=REPORT, cost_usd=Decimal("0.01"),
        findings=[{"category": "efficiency", "severity": "warning", "title": "Slow", "evidence": ["agent1.1"],
                   "recommendation": "Use fewer rounds."}],
    )
    write_file(run, "turn_1/notes.md", b"# Notes\n\n**bold** and `code`\n")
    write_file(run, "turn_1/massgen.log", b"".join(f"line {i} INFO ok\n".encode() for i in range(1, 80)) + b"HTTP 500 here\n")
    RunFactory(team=people.team_a, question="TCP or UDP for games?")
    RunFactory(team=people.team_a, status="failed", error="Not a MassGen run.", question="")
    return run, analysis


def test_errors_and_restarts_are_above_the_fold_with_the_reason_and_a_rendered_answer(desktop, live_server, people, triage):
    run, _ = triage
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/runs/{run.pk}/")
    for card in ("#card-errors", "#card-restarts"):
        box = desktop.locator(card).bounding_box()
        assert box["y"] + box["height"] <= DESKTOP["height"], card
        assert "alarm" in desktop.locator(card).get_attribute("class")
    assert RESTART_REASON in desktop.locator("#restart-reason").inner_text()
    answer = desktop.locator("#final-answer .rendered")
    assert answer.locator("strong").first.inner_text() == "TCP vs UDP" and answer.locator("table").count() == 1
    assert "**" not in answer.inner_text() and "```" not in answer.inner_text()
    assert desktop.locator("#analyse-panel").bounding_box()["y"] < 1600
    shoot(desktop, "run-1440")

    desktop.goto(f"{live_server.url}/runs/{run.pk}/?turn=1&attempt=1")
    assert "rejected by post-evaluation" in desktop.locator("#restart-reason").inner_text()
    assert desktop.locator(".winner-mark").count() == 0
    shoot(desktop, "run-restarted-attempt-1440")


def test_back_after_an_htmx_search_shows_the_whole_page(desktop, live_server, people, triage):
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/runs/")
    desktop.get_by_label("Question").fill("games")
    desktop.wait_for_url(lambda url: "q=games" in url)
    desktop.locator("#run-list tbody tr").first.wait_for()
    assert desktop.locator("#run-list tbody tr").count() == 1
    desktop.locator("#run-list td.question a").first.click()
    desktop.wait_for_url(lambda url: "/runs/" in url and "q=games" not in url)

    desktop.go_back()
    desktop.wait_for_url(lambda url: "q=games" in url)
    desktop.locator("#run-list").wait_for()
    # The whole page: the nav, the filters, and the stylesheet applied (the dark top bar).
    assert desktop.locator("nav.mainnav").is_visible() and desktop.locator("#run-filters").is_visible()
    assert desktop.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor") == "rgb(21, 26, 38)"
    assert desktop.locator("#run-list tbody tr").count() == 1


def test_back_after_a_severity_filter_shows_the_whole_report(desktop, live_server, people, triage):
    _, analysis = triage
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/analyses/{analysis.pk}/")
    desktop.locator("#findings nav a", has_text="warning").click()
    desktop.wait_for_url("**?severity=warning")
    desktop.goto(f"{live_server.url}/runs/")
    desktop.go_back()
    desktop.wait_for_url("**?severity=warning")
    assert desktop.locator("nav.mainnav").is_visible() and desktop.locator("#verdict").is_visible()


def test_the_report_is_titled_with_the_question_links_evidence_and_lists_findings_once(desktop, live_server, people, triage):
    run, analysis = triage
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/analyses/{analysis.pk}/")
    assert desktop.locator(".analysis-head h1").inner_text().startswith("Which protocol?")
    assert "1 warning" in desktop.locator(".verdict-summary").inner_text()
    href = desktop.locator("#findings a.evidence").first.get_attribute("href")
    assert href.startswith(f"/runs/{run.pk}/") and href.endswith("#label-agent1.1")
    report = desktop.locator(".report-markdown").inner_text()
    assert "Cheap." in report and "Slow" not in report
    shoot(desktop, "report-1440")


def test_the_file_viewer_numbers_lines_searches_renders_markdown_and_downloads(desktop, live_server, people, triage):
    run, _ = triage
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/runs/{run.pk}/files/turn_1/massgen.log")
    desktop.get_by_label("Search in this file").fill("HTTP 500")
    assert desktop.locator("tr.hit").count() == 1 and desktop.locator("tr.current").get_attribute("id") == "L80"
    with desktop.expect_download() as download:
        desktop.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "massgen.log"
    shoot(desktop, "file-log-1440")
    desktop.goto(f"{live_server.url}/runs/{run.pk}/files/turn_1/notes.md")
    assert desktop.locator(".rendered strong").inner_text() == "bold"
    shoot(desktop, "file-md-1440")


def test_an_unknown_url_gets_the_products_own_404(desktop, live_server, people):
    log_in(desktop, live_server, "alice", people.password)
    response = desktop.goto(f"{live_server.url}/no/such/page/")
    assert response.status == 404
    assert desktop.locator("a.brand").inner_text() == "Debrief" and "Page not found" in desktop.locator("h1").inner_text()
    shoot(desktop, "404-1440")


@pytest.mark.parametrize("name, path", [
    ("dashboard", "/"), ("runs", "/runs/"), ("run", "/runs/{run}/"), ("report", "/analyses/{analysis}/"),
    ("file", "/runs/{run}/files/turn_1/massgen.log"), ("api-docs", "/api/v1/docs"), ("tokens", "/team/tokens/"),
])
def test_every_page_fits_a_390px_phone(phone, live_server, people, triage, name, path):
    run, analysis = triage
    log_in(phone, live_server, "alice", people.password)
    phone.goto(live_server.url + path.format(run=run.pk, analysis=analysis.pk))
    shoot(phone, f"{name}-390")
    assert page_width(phone) <= PHONE["width"], name
    # The nav takes the whole width under the brand, and every item shows without scrolling it sideways.
    nav = phone.locator("nav.mainnav")
    assert nav.bounding_box()["width"] >= PHONE["width"] - 40
    assert nav.evaluate("el => el.scrollWidth <= el.clientWidth")
    for link in nav.locator("a").all():
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], link.inner_text()


@pytest.mark.parametrize("name, path", [
    ("dashboard", "/"), ("runs", "/runs/"), ("api-docs", "/api/v1/docs"), ("tokens", "/team/tokens/"),
])
def test_desktop_screenshots(desktop, live_server, people, triage, name, path):
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(live_server.url + path)
    assert page_width(desktop) <= DESKTOP["width"]
    shoot(desktop, f"{name}-1440")


def test_the_timeline_scrolls_inside_its_card_on_a_phone(phone, live_server, people, triage):
    run, _ = triage
    log_in(phone, live_server, "alice", people.password)
    phone.goto(f"{live_server.url}/runs/{run.pk}/")
    timeline = phone.locator("figure.timeline")
    assert timeline.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page_width(phone) <= PHONE["width"]


def test_a_new_tokens_copy_button_copies_it(desktop, live_server, people):
    desktop.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/team/tokens/")
    desktop.get_by_label("Name").fill("ci")
    desktop.locator("form button[type=submit]", has_text="Create").click()
    button = desktop.locator("#new-token button[data-copy-from]")
    button.click()
    # The clipboard answers asynchronously: wait for the label rather than read it at once.
    expect(button).to_have_text(re.compile(r"^(Copied|Press Ctrl\+C)$"))


def test_a_real_run_with_http_errors_shows_them_above_the_fold(desktop, phone, live_server, people):
    from tests.samples import HTTP_ERRORS, ingest_sample

    run = ingest_sample(people.team_a, HTTP_ERRORS)
    log_in(desktop, live_server, "alice", people.password)
    desktop.goto(f"{live_server.url}/runs/{run.pk}/")
    card = desktop.locator("#card-errors")
    assert card.bounding_box()["y"] + card.bounding_box()["height"] <= DESKTOP["height"]
    assert "alarm" in card.get_attribute("class") and int(card.locator(".value").inner_text()) >= 1
    assert "**" not in desktop.locator("#final-answer .rendered").inner_text()
    shoot(desktop, "run-http-errors-1440")
    log_in(phone, live_server, "alice", people.password)
    phone.goto(f"{live_server.url}/runs/{run.pk}/")
    assert page_width(phone) <= PHONE["width"]
    shoot(phone, "run-http-errors-390")
