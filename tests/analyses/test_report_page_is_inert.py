"""Script in a run's logs or in a model's report never runs on the report page,
the shared page, or in the API's report_html."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.analyses.conftest import FAKE_MODEL
from tests.samples import SMALLEST, ingest_sample
from tests.analyses.support import assert_inert, work
from webapp.analyses import services

pytestmark = pytest.mark.django_db

PAYLOAD = '<script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3)) <a href="javascript:alert(4)" style="x">a</a>'


def content_of(page: str) -> str:
    """What the page shows inside its <main>: the chrome around it is base.html's."""
    return page.split('<main class="content">', 1)[1].split("</main>", 1)[0] if "<main" in page else page
QUESTION = "What are the key differences between TCP and UDP, and when should each be used?"


def hostile_run(team, tmp_path):
    """The smallest sample with the payload in its question, everywhere MassGen wrote it."""
    folder = shutil.copytree(SMALLEST, tmp_path / SMALLEST.name)
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".yaml", ".txt", ".md", ".log"):
            text = path.read_text(errors="replace")
            if QUESTION in text:
                escaped = json.dumps(PAYLOAD)[1:-1] if path.suffix == ".json" else PAYLOAD.replace('"', "'")
                path.write_text(text.replace(QUESTION, f"{QUESTION} {escaped}"))
    return ingest_sample(team, folder)


def test_log_text_in_an_offline_report_is_inert(client, people, tmp_path, no_enqueue):
    run = hostile_run(people.team_a, tmp_path)
    analysis = work(services.do_request_analysis(run, people.alice, "debrief/offline"))
    assert "<script>alert(1)</script>" in analysis.report_markdown  # the text is kept, as text
    client.force_login(people.alice)
    page = client.get(f"/analyses/{analysis.pk}/").content.decode()
    assert_inert(content_of(page))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _, token = services.do_create_share(analysis, people.alice)
    assert_inert(content_of(client.get(f"/s/{token}/").content.decode()))


def test_a_models_hostile_report_is_inert_everywhere(client, people, fake_model, no_enqueue):
    fake_model.configure(analysis_content={
        "verdict": "warn",
        "report_markdown": f"# Report\n\n{PAYLOAD}\n\n| a | b |\n|---|---|\n| <b onclick=x()>1</b> | 2 |",
        "findings": [{"category": "errors", "severity": "warning", "title": PAYLOAD, "evidence": [PAYLOAD], "recommendation": PAYLOAD}],
    })
    analysis = work(services.do_request_analysis(ingest_sample(people.team_a), people.alice, FAKE_MODEL))
    assert analysis.status == "done"
    assert_inert(analysis.report_html)
    client.force_login(people.bob)
    for url in (f"/analyses/{analysis.pk}/", f"/analyses/{analysis.pk}/progress/", f"/analyses/compare?a={analysis.pk}&b={analysis.pk}"):
        assert_inert(content_of(client.get(url).content.decode()))
    _, token = services.do_create_share(analysis, people.bob)
    assert_inert(content_of(client.get(f"/s/{token}/").content.decode()))
