"""Errors get Debrief's own pages, never Django's debug page: a dead share link,
another team's run or a viewer's forbidden change, with DEBUG off and on; the
API keeps its JSON errors; the 400 and 500 pages render with no request context."""

import pytest
from django.core.exceptions import SuspiciousOperation
from django.test import RequestFactory
from django.views import defaults

from tests.api.conftest import bearer
from tests.factories import RunFactory
from webapp.api.tokens import do_create_token
from webapp.teams.models import Membership

pytestmark = pytest.mark.django_db

BRAND = '<a class="brand" href="/">Debrief</a>'
DEBUG_PAGE_MARKS = ("DEBUG = True", "URLconf", "Traceback", "technical")


def assert_branded(response, status: int, *texts: str) -> str:
    page = response.content.decode()
    assert response.status_code == status
    assert BRAND in page and all(text in page for text in texts), page
    assert not any(mark in page for mark in DEBUG_PAGE_MARKS), page
    return page


@pytest.fixture(params=[False, True], ids=["DEBUG off", "DEBUG on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_dead_share_link_gets_the_404_page_saying_why(client, debug):
    response = client.get("/s/not-a-token/")
    page = assert_branded(response, 404, "Page not found", "it may have expired or been revoked")
    assert 'href="/accounts/login/"' in page  # a visitor with a link is not logged in


def test_another_teams_run_gets_the_404_page_without_a_hint_that_it_exists(client, people, debug):
    run = RunFactory(team=people.team_a, question="Alice's secret question")
    client.force_login(people.charlie)
    page = assert_branded(client.get(f"/runs/{run.pk}/"), 404, "Page not found", "Go to the dashboard")
    assert "secret" not in page and "Not found." not in page


def test_a_viewer_changing_something_gets_the_403_page_saying_why(client, people, debug):
    Membership.objects.filter(user=people.bob).update(role="viewer")
    client.force_login(people.bob)
    assert_branded(client.post("/runs/upload/", {}), 403, "You cannot do this here", "Viewers cannot change anything in this team.")


def test_a_mistyped_address_gets_the_404_page_not_a_list_of_urls(client, people):
    client.force_login(people.alice)
    assert_branded(client.get("/no-such-page/"), 404, "Page not found", 'aria-label="Main"')


def test_the_api_keeps_its_json_errors_with_debug_on(client, people, settings):
    settings.DEBUG = True
    token = do_create_token(people.team_a, "read", "ci", people.alice)[1]
    missing = client.get("/api/v1/runs/00000000-0000-0000-0000-000000000000", headers=bearer(token))
    unknown = client.get("/api/v1/no-such-endpoint")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


@pytest.mark.parametrize(("view", "status", "text"), [
    (lambda request: defaults.server_error(request), 500, "Something went wrong"),
    (lambda request: defaults.bad_request(request, SuspiciousOperation()), 400, "This request could not be read"),
])
def test_the_500_and_400_pages_render_with_no_context_and_no_database(django_assert_num_queries, view, status, text):
    with django_assert_num_queries(0):
        response = view(RequestFactory().get("/"))
    page = assert_branded(response, status, text, 'href="/"')
    assert "{%" not in page and "{{" not in page
