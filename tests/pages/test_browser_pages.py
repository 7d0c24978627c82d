"""The list's htmx filters and the run page's lazy answers, in Chromium."""

import pytest

from tests.browser import log_in
from tests.factories import RunFactory
from tests.pages.conftest import make_coordinated_run, write_file

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_filters_and_sorting_update_the_list_in_place(page, live_server, people):
    RunFactory(team=people.team_a, question="Explain the 2008 crisis", cost_usd=0.5)
    RunFactory(team=people.team_a, question="Crisis communication plan", cost_usd=2.0)
    RunFactory(team=people.team_a, question="TCP or UDP?", cost_usd=1.0)
    log_in(page, live_server, "alice", people.password)
    page.goto(f"{live_server.url}/runs/")
    page.evaluate("window.notReloaded = true")
    rows = page.locator("#run-list tbody tr td.question a")

    page.get_by_role("link", name="Cost").click()
    page.wait_for_url("**/runs/?sort=-cost")
    assert rows.all_inner_texts() == ["Crisis communication plan", "TCP or UDP?", "Explain the 2008 crisis"]

    page.get_by_label("Question").fill("crisis")
    page.wait_for_url(lambda url: "q=crisis" in url and "sort=-cost" in url)
    # The sort chosen in the header survived the filter change.
    assert rows.all_inner_texts() == ["Crisis communication plan", "Explain the 2008 crisis"]
    assert page.evaluate("window.notReloaded") is True

    page.go_back()
    page.wait_for_url("**/runs/?sort=-cost")


def test_an_answer_loads_when_opened(page, live_server, people):
    run = make_coordinated_run(people.team_a)
    answer = run.attempts.get().answerrows.get(label="agent1.1")
    write_file(run, "turn_1/attempt_1/agent_a/answer.txt", b"The whole answer, <b>loaded</b> lazily.")
    answer.path = "turn_1/attempt_1/agent_a/answer.txt"
    answer.save()
    log_in(page, live_server, "alice", people.password)
    page.goto(f"{live_server.url}/runs/{run.pk}/")
    item = page.locator(f"details#answer-{answer.pk}")
    item.locator("summary").click()
    text = item.locator(".rendered")
    text.wait_for()
    # Rendered as markdown; the log's HTML stays text.
    assert text.inner_text() == "The whole answer, <b>loaded</b> lazily."
    assert item.locator(".rendered b").count() == 0
    item.locator(".raw-toggle summary").click()
    assert item.locator("pre.raw-text").inner_text() == "The whole answer, <b>loaded</b> lazily."
