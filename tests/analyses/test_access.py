"""Who sees and does what: alice (owner) and bob (member) of Acme work with
Acme's analyses; a viewer only reads; charlie (Birch) gets a 404 for every
analysis URL, exactly as for something that does not exist."""

from __future__ import annotations

import pytest

from tests.samples import ingest_sample
from tests.analyses.support import work
from tests.factories import MembershipFactory, UserFactory
from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.api.tokens import do_create_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysis(people, no_enqueue):
    run = ingest_sample(people.team_a)
    return work(services.do_request_analysis(run, people.alice, "debrief/offline"))


def outsider_urls(analysis: Analysis) -> list[tuple[str, str]]:
    pk, run = analysis.pk, analysis.run_id
    return [
        ("get", f"/analyses/{pk}/"),
        ("get", f"/analyses/{pk}/progress/"),
        ("get", f"/analyses/{pk}/report.md"),
        ("get", f"/analyses/{pk}/report.json"),
        ("get", f"/analyses/compare?a={pk}"),
        ("get", f"/analyses/compare?a={pk}&b={pk}"),
        ("post", f"/analyses/{pk}/cancel/"),
        ("post", f"/analyses/{pk}/rerun/"),
        ("post", f"/analyses/{pk}/share/"),
        ("get", f"/runs/{run}/analyses/"),
        ("post", f"/runs/{run}/analyses/"),
    ]


def test_an_outsider_gets_404_on_every_analysis_url(client, people, analysis):
    client.force_login(people.charlie)
    for method, url in outsider_urls(analysis):
        response = getattr(client, method)(url, {"model": "debrief/offline"} if method == "post" else None)
        assert response.status_code == 404, (method, url, response.status_code)
    assert Analysis.objects.count() == 1


def test_an_outsiders_token_gets_404_from_the_api(client, people, analysis):
    _, token = do_create_token(people.team_b, "full")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(f"/api/v1/analyses/{analysis.pk}", **headers).status_code == 404
    response = client.post(f"/api/v1/runs/{analysis.run_id}/analyses", '{"model": "debrief/offline"}', content_type="application/json", **headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_an_outsider_cannot_revoke_a_teams_share_link(client, people, analysis):
    link, _ = services.do_create_share(analysis, people.alice)
    client.force_login(people.charlie)
    assert client.post(f"/team/shares/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_an_outsiders_team_lists_do_not_show_other_teams_analyses(client, people, analysis):
    client.force_login(people.charlie)
    assert str(analysis.pk) not in client.get("/analyses/").content.decode()
    link, _ = services.do_create_share(analysis, people.alice)
    assert f"…{link.hint}" not in client.get("/team/shares/").content.decode()


def test_team_members_read_the_report_and_download_it(client, people, analysis):
    for user in (people.alice, people.bob):
        client.force_login(user)
        assert client.get(f"/analyses/{analysis.pk}/").status_code == 200
        markdown = client.get(f"/analyses/{analysis.pk}/report.md")
        assert markdown["Content-Type"].startswith("text/markdown")
        assert "attachment" in markdown["Content-Disposition"]
        assert markdown.content.decode() == analysis.report_markdown
        assert client.get(f"/analyses/{analysis.pk}/report.json").json()["id"] == str(analysis.pk)


def test_a_member_can_analyse_and_a_viewer_cannot(client, people, analysis):
    viewer = MembershipFactory(team=people.team_a, user=UserFactory(username="vera"), role="viewer").user
    client.force_login(people.bob)
    response = client.post(f"/runs/{analysis.run_id}/analyses/", {"model": "debrief/offline"})
    assert response.status_code == 302
    assert Analysis.objects.count() == 2
    client.force_login(viewer)
    assert client.get(f"/analyses/{analysis.pk}/").status_code == 200
    assert client.post(f"/runs/{analysis.run_id}/analyses/", {"model": "debrief/offline"}).status_code == 403
    assert client.post(f"/analyses/{analysis.pk}/share/").status_code == 302  # refused with a message
    assert not analysis.share_links.exists()
    assert Analysis.objects.count() == 2
