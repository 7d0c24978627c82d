"""Every response carries the Content-Security-Policy: every page, partial,
download, redirect and error of every URL pattern, the API, static files and
Django's own 500 page."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.model_env import clean_models_state  # noqa: F401  (autouse fixture)
from tests.security.site import build_site

pytestmark = pytest.mark.django_db

REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}


def directives(header: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in header.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def assert_policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.status_code} without a Content-Security-Policy"
    policy = directives(header)
    assert {name: policy.get(name) for name in REQUIRED} == REQUIRED
    # What the pages need beyond the required policy, and nothing that lets script in.
    assert policy["style-src"].split()[0] == "'self'" and "'unsafe-inline'" not in header and "'unsafe-eval'" not in header
    assert policy["img-src"] == "'self' data:"
    assert set(policy) == {*REQUIRED, "style-src", "img-src"}
    return policy


def url_patterns(resolver=None, prefix: str = ""):
    """(route, name) of every URL pattern, included ones too."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def concrete(route: str, site) -> str:
    """The route with each parameter filled in from the site."""
    values = {
        "run_id": site.run.pk, "analysis_id": site.analysis.pk, "slug": site.team.slug, "token": site.share_token,
        "token_id": site.api_token.pk, "link_id": site.share_link.pk, "membership_id": site.membership.pk,
        "relpath": site.file, "rest": "nothing-here",
    }

    def fill(match: re.Match) -> str:
        name = match.group("name")
        if name == "pk":  # a run's under runs/, else an analysis's
            return str(site.run.pk if route.startswith("runs/") else site.analysis.pk)
        return str(values[name])

    if "(?P<" in route:  # a regular expression: the API's catch-all
        route = re.sub(r"\^?\(\?P<(?P<name>\w+)>[^)]*\)(?:\\Z|\$)?", fill, route)
    return "/" + re.sub(r"<(?:\w+:)?(?P<name>\w+)>", fill, route)


@pytest.fixture
def site(people, monkeypatch):
    return build_site(people, monkeypatch)


def test_every_url_pattern_answers_with_the_policy(client, people, site):
    client.force_login(people.alice)
    checked = []
    for route, name in url_patterns():
        path = concrete(route, site)
        # GET only: a POST would log out or delete what the next routes show. POST-only
        # routes answer 405, which must carry the policy as well.
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {site.raw_token}")
        assert_policy(response)
        checked.append((path, response.status_code))
    statuses = [status for _, status in checked]
    assert statuses.count(200) >= 25 and {286, 302, 404, 405} <= set(statuses), checked
    assert len(checked) >= 45  # every page, partial, download and API route


@pytest.mark.parametrize("path", ["/accounts/login/", "/", "/runs/", "/no/such/page/", "/api/v1/runs", "/healthz",
                                  "/static/css/app.css", "/static/vendor/htmx-2.0.11.min.js", "/s/not-a-token/"])
def test_a_visitor_who_is_not_logged_in_gets_the_policy_too(client, path):
    assert_policy(client.get(path))


def test_the_lockout_page_carries_the_policy(client, people, settings):
    settings.AXES_FAILURE_LIMIT = 1
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 429
    assert_policy(response)


def test_the_500_page_has_the_policy_and_its_inline_style_is_allowed_by_hash(settings):
    settings.ROOT_URLCONF = "tests.security.urls_500"
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    policy = assert_policy(response)
    styles = re.findall(r"<style>(.*?)</style>", response.content.decode(), re.DOTALL)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy["style-src"].split()


def test_no_page_has_inline_script_style_attribute_or_event_handler(client, people, site):
    client.force_login(people.alice)
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)
    pages = ["/", "/runs/", "/runs/upload/", "/runs/folders/", f"/runs/{site.run.pk}/", f"/runs/{site.run.pk}/files/",
             f"/runs/{site.run.pk}/files/{site.file}", "/analyses/", f"/analyses/{site.analysis.pk}/",
             f"/analyses/{site.analysis.pk}/questions/", "/models/", "/team/tokens/", f"/teams/{site.team.slug}/",
             "/team/shares/", "/team/budget/", f"/s/{site.share_token}/", "/api/v1/docs", "/no/such/page/"]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), (path, response.status_code)
        found = inline.findall(response.content.decode())
        assert not found, (path, found)
