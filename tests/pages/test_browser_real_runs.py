"""The real MassGen 0.1.1 run in Chromium at 1440 and 390 px (screenshots under
var/screenshots/, as in test_browser_triage.py), and a folder upload that leaves
node_modules/ out in the browser, saying so."""

from __future__ import annotations

import shutil

import pytest

from tests.browser import log_in
from tests.pages.test_browser_triage import page_width, shoot
from tests.samples import SAMPLE_SESSIONS, SMALLEST, ingest_sample
from webapp.runs.models import Run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLAT = next(folder for folder in SAMPLE_SESSIONS if not (folder / "turn_1").is_dir())
NOT_RECORDED = "not recorded by MassGen 0.1.1"


@pytest.mark.parametrize("width,name", [(1440, "desktop"), (390, "phone")])
def test_the_0_1_1_run_page_says_not_recorded_and_fits_the_screen(browser, live_server, people, width, name):
    run = ingest_sample(people.team_a, FLAT)
    context = browser.new_context(viewport={"width": width, "height": 900}, is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_server, "alice", people.password)
        page.goto(f"{live_server.url}/runs/{run.pk}/")
        assert NOT_RECORDED in page.locator("#summary").inner_text()
        assert NOT_RECORDED in page.locator("#usage-unrecorded").inner_text()
        # The run's own figures; the Analyse panel's "$0" is the price of the free offline model.
        for section in ("#summary", ".stats", "#agents", "#tokens", "#problems", "#tools"):
            assert "$0" not in page.locator(section).inner_text(), section
        assert page.locator("#agents .unrecorded").first.get_attribute("title") == NOT_RECORDED
        assert page.locator(".tl-mark.restart").count() == 0
        assert page_width(page) <= width
        shoot(page, f"run-massgen-0.1.1-{width}")
    finally:
        context.close()


def test_a_folder_upload_leaves_node_modules_out_before_sending_and_says_so(page, live_server, people, settings, tmp_path):
    folder = tmp_path / SMALLEST.name
    shutil.copytree(SMALLEST, folder)
    files = sum(1 for path in folder.rglob("*") if path.is_file())
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = files  # the run fits exactly; with node_modules it would not
    modules = folder / "turn_1" / "attempt_1" / "node_modules" / "left-pad"
    modules.mkdir(parents=True)
    for i in range(3):
        (modules / f"file_{i}.js").write_text("module.exports = 1")
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}/runs/")
    page.set_input_files("input[name=files]", str(folder))
    note = page.locator(".upload-item [data-upload-skipped]").first
    note.wait_for()
    assert note.inner_text() == "Left out as massgen share does: 3 files under node_modules/."
    page.locator(".upload-result .run-status").wait_for()
    assert Run.objects.count() == 1
