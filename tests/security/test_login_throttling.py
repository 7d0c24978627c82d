"""Login throttling (django-axes, webapp/teams/throttling.py): failures counted per
username and per client address, 429 on the branded login page at the limit, a lock
that lifts after the cool-off, a success that resets the count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model

from tests.security.conftest import ADDRESSES

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LIMIT = django_settings.DEBRIEF_LOGIN_FAILURE_LIMIT
COOLOFF = django_settings.DEBRIEF_LOGIN_COOLOFF_SECONDS


def attempt(client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(client, username: str = "alice", address: str = "127.0.0.1", times: int = 1):
    return [attempt(client, username, "not the password", address) for _ in range(times)]


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/"


def assert_locked(response) -> None:
    assert response.status_code == 429
    page = response.content.decode()
    assert "Log in to Debrief" in page and 'name="password"' in page  # the branded login page, form and all
    assert "Too many failed log-in attempts" in page
    assert 1 <= int(response["Retry-After"]) <= COOLOFF


def test_the_limit_and_cool_off_are_the_documented_defaults():
    assert (LIMIT, COOLOFF) == (5, 15 * 60)
    assert django_settings.AXES_FAILURE_LIMIT == LIMIT
    assert django_settings.AXES_COOLOFF_TIME == timedelta(seconds=COOLOFF)


def test_one_failure_short_of_the_limit_the_right_password_still_logs_in(client, people):
    for response in fail(client, times=LIMIT - 1):
        assert response.status_code == 200 and "didn't match" in response.content.decode()
    assert logged_in(attempt(client, "alice", people.password))


def test_the_failure_that_reaches_the_limit_is_answered_429_on_the_login_page(client, people):
    fail(client, times=LIMIT - 1)
    response = fail(client)[0]
    assert_locked(response)
    assert int(response["Retry-After"]) == COOLOFF
    assert 'value="alice"' in response.content.decode()  # the username stays filled in


def test_one_past_the_limit_even_the_right_password_is_refused(client, people):
    fail(client, times=LIMIT)
    response = attempt(client, "alice", people.password)
    assert_locked(response)
    assert client.get("/")["Location"].startswith(LOGIN)  # not logged in


def test_a_locked_username_is_refused_from_every_address(client, people):
    for address in ADDRESSES[1:LIMIT + 1]:  # one failure from each of LIMIT addresses
        fail(client, "alice", address)
    assert_locked(attempt(client, "alice", people.password, ADDRESSES[LIMIT + 1]))
    assert logged_in(attempt(client, "bob", people.password, ADDRESSES[LIMIT + 2]))


def test_a_locked_address_is_refused_for_every_username(client, people):
    for n in range(LIMIT):
        fail(client, f"guess{n}", "203.0.113.7")
    assert_locked(attempt(client, "bob", people.password, "203.0.113.7"))
    assert logged_in(attempt(client, "bob", people.password, "198.51.100.9"))


def test_a_successful_login_resets_the_count(client, people):
    fail(client, times=LIMIT - 1)
    assert logged_in(attempt(client, "alice", people.password))
    client.post("/accounts/logout/")
    fail(client, times=LIMIT - 1)  # would lock if the first failures still counted
    assert logged_in(attempt(client, "alice", people.password))


def backdate_failures(seconds: float) -> None:
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(seconds=seconds))


def test_the_lock_holds_until_the_cool_off_has_passed(client, people):
    fail(client, times=LIMIT)
    backdate_failures(COOLOFF - 60)
    response = attempt(client, "alice", people.password)
    assert_locked(response)
    assert 55 <= int(response["Retry-After"]) <= 60
    assert "Try again in 1 minute." in response.content.decode()


def test_the_lock_lifts_after_the_cool_off(client, people):
    fail(client, times=LIMIT)
    backdate_failures(COOLOFF + 1)
    assert logged_in(attempt(client, "alice", people.password))


def test_attempts_while_locked_do_not_extend_the_lock(client, people):
    fail(client, times=LIMIT)
    backdate_failures(COOLOFF - 30)
    for response in fail(client, times=3):
        assert_locked(response)
    backdate_failures(31)
    assert logged_in(attempt(client, "alice", people.password))


def test_a_lower_limit_from_the_settings_is_obeyed(client, people, settings):
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(client)[0].status_code == 200
    assert_locked(fail(client)[0])


@pytest.mark.parametrize("form", [{}, {"password": "x"}, {"username": "", "password": "x"}, {"username": "nul\x00", "password": "x"}, {"username": "alice"}])
def test_a_form_that_cannot_be_a_guess_is_neither_counted_nor_an_error(client, people, form):
    # The form refuses it before any password is checked: nothing was guessed.
    assert [client.post(LOGIN, form).status_code for _ in range(LIMIT + 1)] == [200] * (LIMIT + 1)
    assert logged_in(attempt(client, "alice", people.password))


@pytest.mark.parametrize("odd", ["ünï 'quoted' <b>", "x" * 10_000])
def test_odd_usernames_are_counted_like_any_other(client, people, odd):
    fail(client, odd, times=LIMIT - 1)
    assert_locked(fail(client, odd)[0])


def test_a_forwarded_address_counts_only_behind_a_trusted_proxy(client, people, settings):
    # Untrusted: X-Forwarded-For is the client's to forge, so it changes nothing.
    for n in range(LIMIT):
        client.post(LOGIN, {"username": f"guess{n}", "password": "x"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}")
    assert_locked(attempt(client, "bob", people.password))
    AccessAttempt.objects.all().delete()

    settings.DEBRIEF_TRUSTED_PROXY_COUNT = 1
    for n in range(LIMIT):
        client.post(LOGIN, {"username": f"guess{n}", "password": "x"}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    locked = client.post(LOGIN, {"username": "bob", "password": people.password}, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert_locked(locked)
    other = client.post(LOGIN, {"username": "bob", "password": people.password}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert logged_in(other)


def test_the_demo_login_works_through_the_throttled_form(client, db):
    get_user_model().objects.create_user("demo", password="printed-by-make-run")
    fail(client, "someone-else", "203.0.113.7", times=LIMIT)  # another address locked out meanwhile
    assert logged_in(attempt(client, "demo", "printed-by-make-run"))


def test_logins_without_a_request_are_not_throttled(people):
    # Server-side code (a management command, the test client's login) sends no
    # request; axes would refuse it outright.
    from django.contrib.auth import authenticate

    assert authenticate(username="alice", password=people.password) == people.alice


def test_an_operator_can_lift_a_lock_at_once(client, people):
    from django.core.management import call_command

    fail(client, times=LIMIT)
    call_command("axes_reset_username", "alice")
    assert logged_in(attempt(client, "alice", people.password))
