"""Throttling state is per client address, and every test client is 127.0.0.1
unless it says otherwise: each test here starts and ends with no failures counted."""

from __future__ import annotations

import pytest

from webapp.api import ratelimit

# The addresses these tests send from (REMOTE_ADDR or X-Forwarded-For).
ADDRESSES = ("127.0.0.1", "203.0.113.7", "198.51.100.9", "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
             "192.0.2.5", "192.0.2.6", "192.0.2.7", "192.0.2.8", "2001:db8::1")


@pytest.fixture(autouse=True)
def no_counted_api_failures():
    for address in ADDRESSES:
        ratelimit.forget_auth_failures(address)
    yield
    for address in ADDRESSES:
        ratelimit.forget_auth_failures(address)
