"""Requests per token in a fixed window, counted in Django's cache (shared by
every process when CACHE_URL points at Redis)."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

CACHE_KEY = "api-rate:{token}:{window}"


def retry_after(token_key: str) -> int | None:
    """Count one request; None when allowed, else the seconds until the next window."""
    window_seconds = settings.DEBRIEF_API_RATE_WINDOW_SECONDS
    now = time.time()
    window = int(now // window_seconds)
    key = CACHE_KEY.format(token=token_key, window=window)
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds + 1)
        count = 1
    if count <= settings.DEBRIEF_API_RATE_LIMIT:
        return None
    return max(1, int((window + 1) * window_seconds - now + 0.999))
