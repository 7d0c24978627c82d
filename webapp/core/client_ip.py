"""The address a request came from, for throttling (login attempts, failed API
authentications).

Behind reverse proxies REMOTE_ADDR is the nearest proxy, so every client would
share one address and one lockout. X-Forwarded-For is only believed as far as
DEBRIEF_TRUSTED_PROXY_COUNT says: each trusted proxy appends the address it was
reached from, so the client is the N-th entry from the right. Entries further
left were written by the client and can be forged."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.DEBRIEF_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        # Fewer entries than proxies: the request did not come through all of them,
        # so nothing in the header can be trusted.
        if len(forwarded) >= proxies and _is_ip(forwarded[-proxies]):
            return forwarded[-proxies]
    return remote if _is_ip(remote) else "0.0.0.0"


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
