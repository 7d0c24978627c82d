"""Login throttling, through django-axes (settings: the `AXES_*` group in
webapp/settings.py, from DEBRIEF_LOGIN_FAILURE_LIMIT and DEBRIEF_LOGIN_COOLOFF_SECONDS).

Failed logins are counted per username and per client address (either one
reaching the limit locks); a success resets them; a lock lifts DEBRIEF_LOGIN_COOLOFF_SECONDS
after the failure that set it. A locked attempt is refused before the password is
checked and answered 429 on the login page itself, with Retry-After."""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

LOCKED_STATUS = 429
# The width of axes' AccessAttempt.username: PostgreSQL refuses a longer value (a
# 500 where SQLite would not complain). No real username is longer (Django: 150).
COUNTED_USERNAME_CHARS = 255


class LoginThrottleBackend(AxesStandaloneBackend):
    """Axes' lockout check, first in AUTHENTICATION_BACKENDS.

    A call without an HTTP request comes from code on the server (a management
    command, the test client's `login`), not from someone guessing over the
    network, so there is nothing to throttle: it goes on to the next backend
    instead of raising as axes does."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def counted_username(request, credentials=None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username the failures are counted under."""
    source = credentials if credentials else getattr(request, "POST", {})
    username = source.get("username")
    return username[:COUNTED_USERNAME_CHARS] if isinstance(username, str) else username


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the branded login page saying why and for how long."""
    wait = seconds_until_unlocked(request, credentials)
    username = get_client_username(request, credentials) or ""
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next", request.GET.get("next", "")),
        "locked_out": True,
        "retry_minutes": max(1, math.ceil(wait / 60)),
    }
    response = render(request, "registration/login.html", context, status=LOCKED_STATUS)
    response["Retry-After"] = str(wait)
    return response


def seconds_until_unlocked(request, credentials=None) -> int:
    """Until the newest failure of each locked counter (username, address) is older
    than the cool-off. Axes' database handler keeps one row per username, address
    and browser with its latest failure time; another handler gives the full cool-off."""
    cool_off = get_cool_off(request)
    full = int(cool_off.total_seconds())
    handler = AxesProxyHandler.get_implementation()
    if not hasattr(handler, "get_user_attempts"):
        return full
    limit = get_failure_limit(request, credentials)
    newest = None
    for attempts in handler.get_user_attempts(request, credentials):
        counted = attempts.aggregate(failures=Sum("failures_since_start"), newest=Max("attempt_time"))
        if (counted["failures"] or 0) >= limit and counted["newest"] is not None:
            newest = counted["newest"] if newest is None else max(newest, counted["newest"])
    if newest is None:
        return full
    left = (newest + cool_off - timezone.now()).total_seconds()
    return max(1, min(full, math.ceil(left)))
