"""`api_view`: the edge every API endpoint goes through. In order: the method
(405), the bearer token (401), the token's rate (429), its scope (403); then
the view, whose garbage-input exceptions become JSON 400/404/413 answers.

The API authenticates only by bearer token, never by session cookie, so a
forged cross-site request carries no credentials: its views are CSRF-exempt."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import Http404, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from webapp.api import ratelimit, tokens
from webapp.api.errors import api_error
from webapp.runs.services import UploadRejected
from webapp.runs.uploads import UploadTooLarge

# SuspiciousOperation covers bad headers and the like; too many files or form
# fields arrive as UploadTooLarge (webapp.runs.uploads), like too many bytes.
_BAD_REQUEST_ERRORS = (MultiPartParserError, BadRequest, SuspiciousOperation, UnreadablePostError)


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
            except Http404:
                return api_error(404, "not_found", "Not found.")
            except UploadTooLarge as exc:
                return api_error(413, "too_large", str(exc))
            except UploadRejected as exc:
                return api_error(400, "bad_upload", str(exc))
            except _BAD_REQUEST_ERRORS as exc:
                return api_error(400, "bad_request", f"The request could not be read ({exc}).")

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
    header = request.headers.get("Authorization", "")
    kind, _, raw = header.partition(" ")
    if kind.lower() != "bearer" or not raw.strip():
        return api_error(401, "unauthenticated", "Send an API token: `Authorization: Bearer dbr_…`.", {"WWW-Authenticate": "Bearer"})
    token = tokens.authenticate(raw.strip())
    if token is None:
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
