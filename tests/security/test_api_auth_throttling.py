"""Failed API authentications are counted per client address
(DEBRIEF_API_AUTH_FAILURE_LIMIT per DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS): past
the limit the address gets the API's JSON 429 with Retry-After, whatever token it sends."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from webapp.api import ratelimit
from webapp.api.tokens import do_create_token, do_revoke_token

pytestmark = pytest.mark.django_db

LIMIT = django_settings.DEBRIEF_API_AUTH_FAILURE_LIMIT
WINDOW = django_settings.DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS
RUNS = "/api/v1/runs"


@pytest.fixture
def token(people):
    return do_create_token(people.team_a, "read", "ci", people.alice)[1]


def get(client, token: str | None, address: str = "127.0.0.1", **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return client.get(RUNS, REMOTE_ADDR=address, **headers, **extra)


def guess(client, address: str = "127.0.0.1", times: int = 1):
    return [get(client, f"dbr_read_guess{n}", address) for n in range(times)]


def assert_throttled(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == "rate_limited"
    assert "unknown or revoked API token" in body["detail"]
    assert 1 <= int(response["Retry-After"]) <= WINDOW


def test_the_limit_and_window_are_the_documented_defaults():
    assert (LIMIT, WINDOW) == (20, 300)


def test_failures_up_to_the_limit_are_each_answered_401(client, token):
    for response in guess(client, times=LIMIT):
        assert response.status_code == 401 and response.json()["error"] == "invalid_token"


def test_one_past_the_limit_the_address_is_answered_429_with_retry_after(client, token):
    guess(client, times=LIMIT)
    assert_throttled(guess(client)[0])


def test_a_throttled_address_is_refused_even_with_a_valid_token(client, token):
    guess(client, times=LIMIT)
    assert_throttled(get(client, token))
    assert get(client, token, "203.0.113.7").status_code == 200  # another address is not affected


def test_a_valid_token_at_the_limit_still_works(client, token):
    guess(client, times=LIMIT - 1)
    assert get(client, token).status_code == 200
    assert guess(client)[0].status_code == 401  # the LIMIT-th failure: still a 401
    assert_throttled(get(client, token))


def test_junk_and_revoked_tokens_count_as_failures(client, people, token):
    revoked_token, revoked = do_create_token(people.team_a, "read", "old", people.alice)
    do_revoke_token(revoked_token)
    junk = ["nonsense", "dbr_full_wrong", revoked, "x" * 5000]
    for n in range(LIMIT):
        assert get(client, junk[n % len(junk)]).status_code == 401
    assert_throttled(get(client, token))


def test_a_request_without_a_token_is_not_counted(client, token):
    for _ in range(LIMIT + 5):
        assert get(client, None).json()["error"] == "unauthenticated"
        assert client.get(RUNS, HTTP_AUTHORIZATION="Basic YWxpY2U6cHc=").status_code == 401
    assert get(client, token).status_code == 200


def test_the_address_is_let_in_again_when_the_window_ends(client, token, monkeypatch):
    start = 1_000_000 * WINDOW  # the start of a window
    clock = SimpleNamespace(time=lambda: start + 10)
    monkeypatch.setattr(ratelimit, "time", clock)
    guess(client, times=LIMIT)
    response = get(client, token)
    assert_throttled(response)
    assert int(response["Retry-After"]) == WINDOW - 10
    clock.time = lambda: start + WINDOW - 0.5
    assert_throttled(get(client, token))
    clock.time = lambda: start + WINDOW
    assert get(client, token).status_code == 200


def test_a_lower_limit_from_the_settings_is_obeyed(client, token, settings):
    settings.DEBRIEF_API_AUTH_FAILURE_LIMIT = 3
    assert [r.status_code for r in guess(client, times=3)] == [401] * 3
    assert_throttled(guess(client)[0])


def test_behind_a_trusted_proxy_each_forwarded_client_is_counted_apart(client, token, settings):
    settings.DEBRIEF_TRUSTED_PROXY_COUNT = 1
    for n in range(LIMIT):
        get(client, f"dbr_read_guess{n}", HTTP_X_FORWARDED_FOR="10.0.0.99, 198.51.100.9")
    assert_throttled(get(client, token, HTTP_X_FORWARDED_FOR="198.51.100.9"))
    assert get(client, token, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 200


def test_a_forged_forwarded_address_changes_nothing_without_a_trusted_proxy(client, token):
    for n in range(LIMIT):
        get(client, f"dbr_read_guess{n}", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert_throttled(get(client, token, HTTP_X_FORWARDED_FOR="192.0.2.200"))
