import pytest

from tests.browser import log_in
from webapp.teams.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_logs_in_sees_the_dashboard_and_switches_team(page, live_server, people):
    Membership.objects.create(team=people.team_b, user=people.alice, role="viewer")
    log_in(page, live_server, "alice", people.password)
    assert page.locator("h1").inner_text() == "Acme"
    nav = page.get_by_role("navigation", name="Main")
    for link in ("Runs", "Analyses", "Models", "Team", "API tokens"):
        assert nav.get_by_role("link", name=link, exact=True).is_visible()
    page.select_option("#team-switch", "birch")
    page.wait_for_function("document.querySelector('h1').innerText === 'Birch'")
    assert page.locator("#team-switch").input_value() == "birch"
