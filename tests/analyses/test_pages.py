"""The analysis pages: progress polling, filters, re-run, compare, lists."""

from __future__ import annotations

import pytest

from tests.analyses.conftest import FAKE_MODEL
from tests.samples import SPLIT_VOTE, ingest_sample
from tests.analyses.support import work
from webapp.analyses import services
from webapp.analyses.models import Analysis

pytestmark = pytest.mark.django_db


def test_progress_polls_while_queued_and_stops_with_the_report(client, people, ready_run, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, "debrief/offline")
    client.force_login(people.bob)
    polling = client.get(f"/analyses/{analysis.pk}/progress/", HTTP_HX_REQUEST="true")
    assert polling.status_code == 200
    assert 'hx-get="/analyses/' in polling.content.decode() and f'href="/analyses/{analysis.pk}/"' in polling.content.decode()
    assert "Waiting for a worker" in polling.content.decode()
    work(analysis)
    done = client.get(f"/analyses/{analysis.pk}/progress/", HTTP_HX_REQUEST="true")
    assert done.status_code == 286
    assert 'class="verdict badge' in done.content.decode() and "Download .md" in done.content.decode()
    # The header's status line is swapped too, so it does not keep saying "Queued" above the report.
    assert 'id="analysis-summary" hx-swap-oob="true"><span class="badge pass">' in done.content.decode()


def test_findings_filter_by_severity(client, people, ready_run, no_enqueue):
    analysis = work(services.do_request_analysis(ready_run, people.alice, "debrief/offline"))
    client.force_login(people.alice)
    partial = client.get(f"/analyses/{analysis.pk}/?severity=info", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="findings").content.decode()
    assert partial.startswith('\n<section class="card" id="findings"') or 'id="findings"' in partial[:200]
    assert 'class="finding info"' in partial and 'class="finding warning"' not in partial


def test_the_page_can_cancel_a_queued_analysis(client, people, ready_run, no_enqueue):
    analysis = services.do_request_analysis(ready_run, people.alice, "debrief/offline")
    client.force_login(people.bob)
    client.post(f"/analyses/{analysis.pk}/cancel/")
    assert Analysis.objects.get(pk=analysis.pk).status == "cancelled"


def test_rerun_with_another_model_and_compare_the_two(client, people, ready_run, fake_model, no_enqueue):
    first = work(services.do_request_analysis(ready_run, people.alice, "debrief/offline"))
    client.force_login(people.alice)
    response = client.post(f"/analyses/{first.pk}/rerun/", {"model": FAKE_MODEL})
    second = Analysis.objects.exclude(pk=first.pk).get()
    assert response["Location"] == f"/analyses/{second.pk}/" and second.model == FAKE_MODEL
    work(second)
    page = client.get(f"/analyses/compare?a={first.pk}&b={second.pk}").content.decode()
    assert "duplicated_work" in page and "right only" in page  # the fake's finding
    assert "unvoted_answers" in page and "left only" in page


def test_analyses_of_different_runs_cannot_be_compared(client, people, ready_run, no_enqueue):
    other = ingest_sample(people.team_a, SPLIT_VOTE)
    a = work(services.do_request_analysis(ready_run, people.alice, "debrief/offline"))
    b = work(services.do_request_analysis(other, people.alice, "debrief/offline"))
    client.force_login(people.alice)
    assert client.get(f"/analyses/compare?a={a.pk}&b={b.pk}").status_code == 400


def test_the_run_and_team_lists_show_the_analysis(client, people, ready_run, no_enqueue):
    analysis = work(services.do_request_analysis(ready_run, people.alice, "debrief/offline"))
    client.force_login(people.bob)
    assert f"/analyses/{analysis.pk}/" in client.get("/analyses/").content.decode()
    assert f"/analyses/{analysis.pk}/" in client.get(f"/runs/{ready_run.pk}/analyses/").content.decode()


def test_a_refused_request_from_the_panel_says_why_on_the_run_page(client, people, ready_run):
    client.force_login(people.alice)
    response = client.post(f"/runs/{ready_run.pk}/analyses/", {"model": "no-such-model"}, follow=True)
    assert "Unknown model" in response.content.decode()
    assert not Analysis.objects.exists()
