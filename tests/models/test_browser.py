"""The Analyse panel in Chromium: picking another model updates the cost in place."""

from __future__ import annotations

import os

import pytest

from tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Set to a folder to keep the screenshots taken along the way.
SCREENSHOTS = os.environ.get("DEBRIEF_SCREENSHOT_DIR")


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_picking_another_model_updates_the_cost_preview(page, live_server, people, ready_run, openai_key):
    log_in(page, live_server, "alice", people.password)
    page.goto(f"{live_server.url}{ready_run.get_absolute_url()}")
    total = page.get_by_test_id("estimate-total")
    total.wait_for()
    before = total.inner_text()
    page.locator("#analyse").scroll_into_view_if_needed()
    shoot(page, "analyse-panel")

    page.select_option("#analyse-model", "gpt-5.5-pro-2026-04-23")
    page.wait_for_function(
        "before => document.querySelector('[data-testid=estimate-total]').innerText !== before", arg=before
    )

    assert page.url == f"{live_server.url}{ready_run.get_absolute_url()}"  # updated in place
    assert page.locator(".model-facts strong").inner_text() == "gpt-5.5-pro-2026-04-23"
    assert page.locator("input[name=model]").input_value() == "gpt-5.5-pro-2026-04-23"
    assert total.inner_text() != before


def test_the_models_page_filters_as_you_type(page, live_server, people, openai_key):
    log_in(page, live_server, "alice", people.password)
    page.goto(f"{live_server.url}/models/?provider=openai")

    page.fill("#model-search", "nano")
    page.wait_for_url("**q=nano**")
    names = page.locator("td.name").all_inner_texts()

    assert names and all("nano" in name for name in names)
    shoot(page, "models-page")
