"""Pages of analyses: request, report (polled while it runs), downloads, cancel,
re-run, compare, and the team's list. Access is checked by looking every object
up among the user's teams (404 outside them); changes go through `services`."""

from __future__ import annotations

import json
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from webapp.analyses import services
from webapp.analyses.access import analysis_for_member
from webapp.analyses.budget import budget_state
from webapp.analyses.compare import match_findings
from webapp.analyses.models import Analysis, ShareLink, Stage
from webapp.analyses.requests import AnalysisRequest
from webapp.analyses.serializers import analysis_json
from webapp.core.refusals import Refused
from webapp.llm.registry import get_registry
from webapp.runs.models import Run
from webapp.teams.access import get_for_member, membership_for, require_membership

ANALYSES_PAGE_SIZE = 50
SEVERITIES = ("critical", "warning", "info")
SHARE_EXPIRY_CHOICES = ((None, "never"), (1, "1 day"), (7, "7 days"), (30, "30 days"))
# The stages a running analysis moves through, in order, for the progress list.
STAGES = [stage for stage in Stage if stage != Stage.QUEUED]


@login_required
@require_http_methods(["GET", "POST"])
def run_analyses(request, run_id):
    """GET: the run's analyses. POST: analyse the run (the run page's Analyse panel)."""
    run = get_for_member(Run.objects.all(), request, pk=run_id)
    if request.method == "GET":
        return render(request, "analyses/run_list.html", {"run": run})
    try:
        analysis = services.do_analyse(run, request.user, AnalysisRequest.from_form(request.POST))
    except Refused as refused:
        messages.error(request, str(refused))
        return _go(request, run.get_absolute_url())
    return _go(request, analysis.get_absolute_url())


def _go(request, url: str) -> HttpResponse:
    # htmx would swap a redirect's target into the panel; the whole page must change.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def report_context(request, analysis: Analysis) -> dict:
    severity = request.GET.get("severity", "")
    findings = [f for f in analysis.findings if not severity or f.get("severity") == severity]
    return {
        "analysis": analysis,
        "findings": findings,
        "severity": severity,
        "severities": SEVERITIES,
        "stages": STAGES,
        "stage_index": STAGES.index(analysis.stage) if analysis.stage in STAGES else -1,
    }


@login_required
@require_GET
@vary_on_headers("HX-Request")  # the page and its #findings fragment share a URL
def analysis_page(request, pk):
    analysis = analysis_for_member(request, pk)
    context = report_context(request, analysis)
    if request.htmx and request.htmx.target == "findings":
        return render(request, "analyses/report.html#findings", context)
    membership = membership_for(request.user, analysis.team)
    registry = get_registry()
    context |= {
        "can_write": membership.can_write,
        "models": [model.name for model in registry.all(available=True)],
        "default_model": registry.default_model.name,
        "others": analysis.run.analyses.exclude(pk=analysis.pk).filter(status="done"),
        "share_links": analysis.share_links.filter(revoked_at__isnull=True),
        "expiry_choices": SHARE_EXPIRY_CHOICES,
    }
    return render(request, "analyses/report.html", context)


@login_required
@require_GET
def analysis_progress(request, pk):
    """The live part of the report page, with its actions swapped out of band
    (downloads appear, Cancel goes); 286 (stop polling) once it is finished."""
    analysis = analysis_for_member(request, pk)
    context = report_context(request, analysis) | {
        "can_write": membership_for(request.user, analysis.team).can_write,
        "swap_actions": True,
    }
    html = render_to_string("analyses/report.html#body", context, request)
    return HttpResponseStopPolling(html) if analysis.is_finished else HttpResponse(html)


def _filename(analysis: Analysis, extension: str) -> str:
    return f"debrief-{str(analysis.run_id)[:8]}-{slugify(analysis.answered_model) or 'analysis'}-{str(analysis.pk)[:8]}.{extension}"


@login_required
@require_GET
def download_markdown(request, pk):
    analysis = analysis_for_member(request, pk)
    response = HttpResponse(analysis.report_markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(analysis, "md")}"'
    return response


@login_required
@require_GET
def download_json(request, pk):
    analysis = analysis_for_member(request, pk)
    document = analysis_json(analysis, request.build_absolute_uri(analysis.get_absolute_url()))
    response = HttpResponse(json.dumps(document, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(analysis, "json")}"'
    return response


@login_required
@require_POST
def cancel(request, pk):
    analysis = analysis_for_member(request, pk)
    services.do_cancel(analysis, request.user)
    return redirect(analysis.get_absolute_url())


@login_required
@require_POST
def rerun(request, pk):
    analysis = analysis_for_member(request, pk)
    try:
        # The same compression as the analysis re-run; the model as chosen.
        again = services.do_analyse(analysis.run, request.user, AnalysisRequest.from_form(request.POST, analysis.compression))
    except Refused as refused:
        messages.error(request, str(refused))
        return redirect(analysis.get_absolute_url())
    return redirect(again.get_absolute_url())


@login_required
@require_GET
def compare(request):
    left, right = _picked(request, "a"), _picked(request, "b")
    if left is None:
        raise Http404("Choose two analyses to compare.")
    if right is not None and right.run_id != left.run_id:
        return HttpResponseBadRequest("Only analyses of the same run can be compared.")
    return render(request, "analyses/compare.html", {
        "left": left,
        "right": right,
        "rows": match_findings(left.findings, right.findings) if right else [],
        "candidates": left.run.analyses.exclude(pk=left.pk).filter(status="done"),
    })


def _picked(request, key: str) -> Analysis | None:
    value = request.GET.get(key, "")
    try:
        uuid.UUID(value)
    except ValueError:
        return None
    return analysis_for_member(request, value)


@login_required
@require_GET
def team_analyses(request):
    membership = require_membership(request)
    rows = Analysis.objects.filter(team=membership.team).select_related("run", "created_by")
    page = Paginator(rows, ANALYSES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "analyses/list.html", {
        "team": membership.team,
        "page": page,
        "budget": budget_state(membership.team),
    })


@login_required
@require_POST
def share(request, pk):
    analysis = analysis_for_member(request, pk)
    days = request.POST.get("expires_in_days") or None
    try:
        _, token = services.do_create_share(analysis, request.user, int(days) if days else None)
    except (ValueError, PermissionDenied) as error:
        messages.error(request, str(error) or "You cannot share this report.")
        return redirect(analysis.get_absolute_url())
    link = request.build_absolute_uri(f"/s/{token}/")
    messages.success(request, "Share link created. Copy it now: it is shown only once.")
    messages.info(request, link, extra_tags="copyable")
    return redirect(analysis.get_absolute_url())


@login_required
@require_POST
def revoke_share(request, link_id):
    link = get_for_member(ShareLink.objects.select_related("analysis"), request, pk=link_id)
    services.do_revoke_share(link, request.user)
    messages.success(request, "The share link no longer opens the report.")
    if request.POST.get("back") == "report":
        return redirect(link.analysis.get_absolute_url())
    return redirect("analyses:team_shares")
