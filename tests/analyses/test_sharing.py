"""Share links open one report, read-only, without logging in, until revoked or expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.samples import ingest_sample
from tests.analyses.support import work
from webapp.analyses import services
from webapp.analyses.models import ShareLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysis(people, no_enqueue):
    return work(services.do_request_analysis(ingest_sample(people.team_a), people.alice, "debrief/offline"))


def test_a_shared_report_opens_logged_out_and_is_kept_out_of_search_engines(client, people, analysis):
    _, token = services.do_create_share(analysis, people.bob)
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert analysis.findings[0]["title"].replace("'", "&#x27;") in page
    assert analysis.run.title in page
    # Read-only: none of the team's controls, and no way into the rest of Debrief.
    for absent in ("Cancel", "Create link", "Analyse again", "Log out", f"/analyses/{analysis.pk}/", "csrfmiddlewaretoken"):
        assert absent not in page


def test_a_revoked_link_stops_working(client, people, analysis):
    link, token = services.do_create_share(analysis, people.bob)
    client.force_login(people.bob)
    assert client.post(f"/team/shares/{link.pk}/revoke/").status_code == 302
    client.logout()
    assert client.get(f"/s/{token}/").status_code == 404


def test_a_link_works_until_it_expires(client, people, analysis):
    link, token = services.do_create_share(analysis, people.alice, expires_in_days=1)
    assert client.get(f"/s/{token}/").status_code == 200
    ShareLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(f"/s/{token}/").status_code == 404


def test_an_unknown_token_is_a_404(client, analysis):
    assert client.get("/s/not-a-token/").status_code == 404


def test_only_the_tokens_hash_is_stored(people, analysis):
    link, token = services.do_create_share(analysis, people.alice)
    assert token not in (link.token_hash, link.hint) and len(token) >= 43
    assert link.token_hash == services.share_token_hash(token)


def test_a_member_revokes_their_own_links_but_not_others(people, analysis):
    from django.core.exceptions import PermissionDenied

    alices, _ = services.do_create_share(analysis, people.alice)
    bobs, _ = services.do_create_share(analysis, people.bob)
    with pytest.raises(PermissionDenied):
        services.do_revoke_share(alices, people.bob)
    services.do_revoke_share(bobs, people.bob)
    services.do_revoke_share(alices, people.alice)
    assert not [link for link in ShareLink.objects.all() if link.is_active()]


def test_creating_a_link_shows_it_once_and_lists_it_on_the_team_page(client, people, analysis):
    client.force_login(people.bob)
    response = client.post(f"/analyses/{analysis.pk}/share/", {"expires_in_days": "7"}, follow=True)
    page = response.content.decode()
    assert "http://testserver/s/" in page
    link = ShareLink.objects.get()
    assert link.expires_at - timezone.now() > timedelta(days=6)
    shares = client.get("/team/shares/").content.decode()
    assert f"…{link.hint}" in shares and "active" in shares


@pytest.mark.parametrize("days", [0, services.MAX_SHARE_DAYS + 1])
def test_expiry_outside_the_allowed_days_is_refused(people, analysis, days):
    with pytest.raises(ValueError):
        services.do_create_share(analysis, people.alice, expires_in_days=days)


def test_expiry_at_the_maximum_is_allowed(people, analysis):
    link, _ = services.do_create_share(analysis, people.alice, expires_in_days=services.MAX_SHARE_DAYS)
    assert link.is_active()
