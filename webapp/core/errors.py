"""Branded error pages (templates/400.html, 403.html, 404.html, 500.html).

Django renders them itself: 404 and 403 through the handlers set in webapp.urls,
400 and 500 with its own views (no request context, so those two templates must
not need one). With DEBUG on, though, Django answers every Http404 with its debug
page, even a product view's deliberate one (a revoked share link, another team's
run); `BrandedErrorPagesMiddleware` renders the branded page for those, so a
developer sees what people see. (PermissionDenied gets handler403 either way; a
URL that matches nothing still gets the debug page when DEBUG is on.) The API
answers its own JSON errors and is left alone."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"
# Http404 messages that add nothing to the page's own heading, or that were not
# written for people (get_object_or_404's "No Run matches the given query.").
GENERIC_MESSAGES = {"Not found."}
QUERY_MESSAGE_SUFFIX = " matches the given query."


def reason(exception: Exception | None) -> str:
    """What the view said when it refused, if that was written for people."""
    message = exception.args[0] if exception is not None and exception.args else ""
    if not isinstance(message, str) or message in GENERIC_MESSAGES or message.endswith(QUERY_MESSAGE_SUFFIX):
        return ""  # a URL that matched nothing carries a dict, not a message
    return message


# requires_csrf_token: base.html's logout form needs a token even when no view ran.
@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", {"reason": reason(exception)}, status=404)


@requires_csrf_token
def permission_denied(request, exception=None):
    return render(request, "403.html", {"reason": reason(exception)}, status=403)


class BrandedErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404) and not request.path_info.startswith(API_PREFIX):
            return page_not_found(request, exception)
        return None  # with DEBUG off Django calls handler404 itself (and logs the 404)
