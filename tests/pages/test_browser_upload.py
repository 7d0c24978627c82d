"""A person uploads a run in Chromium and watches it become ready on a real worker."""

import pytest

from tests.browser import log_in
from tests.pages.conftest import zip_folder
from tests.samples import SAMPLE_RUNS
from webapp.runs.models import Run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLE = next((SAMPLE_RUNS / "massgen-0.1.43" / "crisis2008-3agents-split-vote").glob("log_*[0-9]"))
UPLOAD_BYTES_PER_SECOND = 256 * 1024  # slow enough for the progress bar to show values between 0 and 100
READY_TIMEOUT_MS = 60_000


def throttle_uploads(page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": UPLOAD_BYTES_PER_SECOND,
    })


def test_upload_watch_it_become_ready_and_explore_the_run(page, live_server, people, celery_worker, tmp_path):
    archive = zip_folder(SAMPLE, tmp_path / f"{SAMPLE.name}.zip")
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}/runs/")
    # Every value the bar takes, recorded in the page as it happens.
    page.evaluate("""() => {
        window.progressSeen = [];
        new MutationObserver(() => document.querySelectorAll('progress.upload-progress')
            .forEach((bar) => window.progressSeen.push(bar.value)))
          .observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    }""")
    throttle_uploads(page)

    page.set_input_files("input[name=file]", str(archive))

    row = page.locator(".upload-item").first
    row.locator(".upload-name", has_text=archive.name).wait_for()
    row.locator(".run-status .badge", has_text="Ready").wait_for(timeout=READY_TIMEOUT_MS)
    seen = page.evaluate("window.progressSeen")
    assert any(0 < value < 100 for value in seen), seen
    assert row.locator("progress").evaluate("bar => bar.value") == 100
    assert "Uploaded" in row.locator(".upload-note").inner_text()
    run = Run.objects.get(team=people.team_a)
    assert run.status == "ready", celery_worker.output()
    # The list below refreshed itself when the run finished: its question is there without a reload.
    page.locator("#run-list td.question a", has_text=run.title[:40]).wait_for()

    page.goto(f"{live_server.url}/runs/")
    page.screenshot(path="/tmp/debrief-runs-list.png", full_page=True)
    page.get_by_role("link", name=run.title).click()
    page.wait_for_url(f"{live_server.url}/runs/{run.pk}/")
    page.screenshot(path="/tmp/debrief-run-page.png", full_page=True)

    lanes = page.locator("svg.timeline-svg g.tl-lane")
    assert lanes.count() == run.agent_count == 3
    assert sorted(lanes.evaluate_all("gs => gs.map(g => g.dataset.agent)")) == sorted(run.model_list)

    # A vote's reason: its tooltip is in the SVG, and a click on the vote's mark opens it in the votes list.
    vote = page.locator("svg.timeline-svg a.tl-mark.vote").last
    title = vote.locator("title").text_content()
    assert " votes for agent" in title
    vote.click()
    target = page.evaluate("location.hash")
    details = page.locator(f"details{target}")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    reason = details.locator(".reason")
    reason.wait_for()
    assert reason.inner_text().strip() and reason.inner_text().strip()[:40] in title


def test_a_refused_upload_says_why_in_the_page(page, live_server, people, tmp_path):
    fake = tmp_path / "notes.zip"
    fake.write_bytes(b"not a zip at all")
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}/runs/")
    page.set_input_files("input[name=file]", str(fake))
    note = page.locator(".upload-item.failed .upload-note")
    note.wait_for()
    assert "not one" in note.inner_text()
    assert not Run.objects.exists()
    # The refusal stays until dismissed.
    page.get_by_role("button", name="Dismiss notes.zip").click()
    assert page.locator(".upload-item").count() == 0


def test_a_dropped_file_that_is_not_an_archive_is_refused_before_sending(page, live_server, people):
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}/runs/")
    dropped = page.evaluate_handle("""() => {
        const data = new DataTransfer();
        data.items.add(new File(["just notes"], "notes.txt", {type: "text/plain"}));
        return data;
    }""")
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": dropped})
    note = page.locator(".upload-item.failed .upload-note")
    note.wait_for()
    assert "Not a .zip, .tar.gz or .tgz archive" in note.inner_text()


def test_a_folder_over_the_file_limit_is_refused_before_sending(page, live_server, people, settings, tmp_path):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    folder = tmp_path / "log_20261124_044610_038495"
    folder.mkdir()
    for i in range(3):
        (folder / f"file_{i}.txt").write_text("x")
    log_in(page, live_server, "bob", people.password)
    page.goto(f"{live_server.url}/runs/")
    page.set_input_files("input[name=files]", str(folder))
    note = page.locator(".upload-item.failed .upload-note")
    note.wait_for()
    assert note.inner_text() == "Too many files: 3 is over the upload limit of 2 files."
    assert not Run.objects.exists()
