"""A shared report, opened by anyone holding the link: no login, read-only, only
that report and its run's header, and kept out of search engines."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from webapp.analyses.services import active_share
from webapp.analyses.views import report_context

NOINDEX = "noindex, nofollow"


@never_cache
@require_GET
@vary_on_headers("HX-Request")  # the page and its #findings fragment share a URL
def shared_report(request, token):
    link = active_share(token)
    if link is None:
        raise Http404("This link does not open a report (it may have expired or been revoked).")
    context = report_context(request, link.analysis) | {"run": link.analysis.run, "link": link}
    findings_only = request.htmx and request.htmx.target == "findings"
    response = render(request, "analyses/report.html#findings" if findings_only else "analyses/shared.html", context)
    response["X-Robots-Tag"] = NOINDEX
    # The token is in the URL: no page it links to may learn it.
    response["Referrer-Policy"] = "no-referrer"
    return response
