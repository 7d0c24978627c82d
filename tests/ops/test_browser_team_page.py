"""The Team page in a browser: an owner sets the retention and reads it back in
the audit log, at desktop and phone widths."""

import pytest

from tests.browser import log_in
from webapp.audit.models import Action
from webapp.audit.services import record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1440, 390])
def test_an_owner_sets_retention_and_sees_it_in_the_audit_log(page, live_server, people, tmp_path, width):
    record(people.team_a, people.bob, Action.RUN_UPLOADED, "run 0b6e5f2a-1d7c-4c1e-9a51-2f0d8c3b7e11", name="log_20261203_101500_000000", source="upload", size_bytes=48213)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server, "alice", people.password)
    page.goto(f"{live_server.url}/teams/acme/")
    page.fill("#retention-days", "90")
    page.locator("form[action$='/retention/'] button[type=submit]").first.click()
    page.wait_for_url(f"{live_server.url}/teams/acme/")
    assert "Runs older than 90 days are deleted every day" in page.locator("#retention-title + p").inner_text()
    log = page.locator("#audit table")
    assert "Retention changed" in log.inner_text() and "Run uploaded" in log.inner_text()
    page.select_option("#audit-action", "retention.changed")
    page.locator("#audit form button").click()
    assert "Run uploaded" not in page.locator("#audit table").inner_text()
    page.select_option("#audit-action", "")
    page.locator("#audit form button").click()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at {width}px"
    page.screenshot(path=str(tmp_path / f"team-{width}.png"), full_page=True)
