"""Fixed-window counters in Django's cache (shared by every process when
CACHE_URL points at Redis): requests per token, and failed authentications per
client address."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

CACHE_KEY = "api-rate:{token}:{window}"
AUTH_FAILURE_KEY = "api-auth-failures:{address}:{window}"


def retry_after(token_key: str) -> int | None:
    """Count one request; None when allowed, else the seconds until the next window."""
    window_seconds = settings.DEBRIEF_API_RATE_WINDOW_SECONDS
    now = time.time()
    window = int(now // window_seconds)
    count = _increment(CACHE_KEY.format(token=token_key, window=window), window_seconds)
    if count <= settings.DEBRIEF_API_RATE_LIMIT:
        return None
    return _until_next_window(now, window, window_seconds)


def auth_failures_retry_after(address: str) -> int | None:
    """None while `address` has failed fewer than DEBRIEF_API_AUTH_FAILURE_LIMIT
    times this window, else the seconds until the next window. Asked before the
    token is looked at, so a blocked address cannot go on guessing."""
    window_seconds = settings.DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS
    now = time.time()
    window = int(now // window_seconds)
    failures = cache.get(AUTH_FAILURE_KEY.format(address=address, window=window), 0)
    if failures < settings.DEBRIEF_API_AUTH_FAILURE_LIMIT:
        return None
    return _until_next_window(now, window, window_seconds)


def record_auth_failure(address: str) -> None:
    window_seconds = settings.DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS
    window = int(time.time() // window_seconds)
    _increment(AUTH_FAILURE_KEY.format(address=address, window=window), window_seconds)


def forget_auth_failures(address: str) -> None:
    """Clears this window's count (tests, or an operator unblocking an address)."""
    window = int(time.time() // settings.DEBRIEF_API_AUTH_FAILURE_WINDOW_SECONDS)
    cache.delete(AUTH_FAILURE_KEY.format(address=address, window=window))


def _increment(key: str, window_seconds: int) -> int:
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 1)
        return 1


def _until_next_window(now: float, window: int, window_seconds: int) -> int:
    return max(1, int((window + 1) * window_seconds - now + 0.999))
