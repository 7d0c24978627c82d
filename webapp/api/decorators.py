"""`api_view`: the edge every API endpoint goes through. In order: the method
(405), the client address's failed authentications (429), the bearer token
(401, counted as a failure when one was sent), the token's rate (429), its
scope (403); then
the view, whose garbage-input exceptions become JSON 400/404/413 answers.

The API authenticates only by bearer token, never by session cookie, so a
forged cross-site request carries no credentials: its views are CSRF-exempt."""

from __future__ import annotations

from functools import wraps

from django.views.decorators.csrf import csrf_exempt

from webapp.api import ratelimit, tokens
from webapp.api.errors import api_error, error_response
from webapp.core.client_ip import client_ip


def api_view(*, methods: tuple[str, ...], scopes: tuple[str, ...] | None):
    """`scopes`: token scopes allowed to call the view; None for a public view."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                return _not_allowed(methods)
            if scopes is not None:
                refused = _authorize(request, scopes)
                if refused is not None:
                    return refused
            try:
                return view(request, *args, **kwargs)
            except Exception as exc:
                # webapp.api.errors.ERROR_TABLE: the one map from errors to status and code.
                response = error_response(exc)
                if response is None:
                    raise
                return response

        wrapper.api_methods = methods
        wrapper.api_scopes = scopes
        return csrf_exempt(wrapper)

    return decorate


def api_route(*views):
    """One URL served by several `api_view`s, each for its own methods."""
    by_method = {method: view for view in views for method in view.api_methods}
    methods = tuple(by_method)

    @csrf_exempt
    def dispatch(request, *args, **kwargs):
        view = by_method.get(request.method)
        return view(request, *args, **kwargs) if view else _not_allowed(methods)

    dispatch.api_methods = methods
    dispatch.api_views = by_method
    return dispatch


def _authorize(request, scopes):
    address = client_ip(request)
    wait = ratelimit.auth_failures_retry_after(address)
    if wait is not None:
        return api_error(
            429, "rate_limited",
            f"Too many requests with an unknown or revoked API token from {address}; retry in {wait} s.",
            {"Retry-After": str(wait)},
        )
    header = request.headers.get("Authorization", "")
    kind, _, raw = header.partition(" ")
    if kind.lower() != "bearer" or not raw.strip():
        # Not a guess, so not counted: the client forgot its token.
        return api_error(401, "unauthenticated", "Send an API token: `Authorization: Bearer dbr_…`.", {"WWW-Authenticate": "Bearer"})
    token = tokens.authenticate(raw.strip())
    if token is None:
        ratelimit.record_auth_failure(address)
        return api_error(401, "invalid_token", "This API token is unknown or revoked.", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    wait = ratelimit.retry_after(token.hash)
    if wait is not None:
        return api_error(429, "rate_limited", f"Too many requests with this token; retry in {wait} s.", {"Retry-After": str(wait)})
    if token.scope not in scopes:
        return api_error(
            403, "insufficient_scope",
            f"This token's scope is {token.scope}; {request.method} {request.path} needs a token with scope {' or '.join(scopes)}.",
        )
    request.api_token = token
    request.team = token.team
    return None


def _not_allowed(methods):
    response = api_error(405, "method_not_allowed", f"Use {', '.join(methods)} here.")
    response["Allow"] = ", ".join(methods)
    return response
