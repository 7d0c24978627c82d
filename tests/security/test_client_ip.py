"""Which address a request is counted under (webapp/core/client_ip.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from webapp.core.client_ip import client_ip


def request(remote: str = "10.0.0.1", forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(request("10.0.0.1", "203.0.113.7")) == "10.0.0.1"


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (1, "203.0.113.7", "203.0.113.7"),
    (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the left entry is the client's own forgery
    (2, "6.6.6.6, 203.0.113.7, 10.0.0.2", "203.0.113.7"),
    (1, "2001:db8::1", "2001:db8::1"),
    (2, "203.0.113.7", "10.0.0.1"),  # fewer entries than proxies: nothing there is trusted
    (1, "", "10.0.0.1"),
    (1, "not-an-address", "10.0.0.1"),
    (1, "203.0.113.7, ", "203.0.113.7"),
])
def test_behind_trusted_proxies_the_client_is_counted_from_the_right(settings, proxies, forwarded, expected):
    settings.DEBRIEF_TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request("10.0.0.1", forwarded)) == expected


def test_a_missing_or_garbage_remote_address_is_one_fixed_placeholder():
    assert client_ip(request("")) == "0.0.0.0"
    assert client_ip(request("garbage")) == "0.0.0.0"
