"""`POST /api/v1/runs/{id}/analyses` and `GET /api/v1/analyses/{id}`: public
contracts for CI. Everything is looked up inside the token's team (404 outside)."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from webapp.analyses import services
from webapp.analyses.errors import AnalysisRefused, RunNotReady
from webapp.analyses.models import Analysis
from webapp.analyses.serializers import analysis_json
from webapp.api.decorators import api_view
from webapp.api.errors import api_error
from webapp.runs.models import Run


def _url(request, analysis: Analysis) -> str:
    return request.build_absolute_uri(analysis.get_absolute_url())


@api_view(methods=("POST",), scopes=("full",))
def request_analysis(request, run_id):
    run = get_object_or_404(Run, pk=run_id, team=request.team)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return api_error(400, "bad_request", "The body is not JSON.")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str) or not body["model"].strip():
        return api_error(400, "bad_request", 'Send {"model": "<name>"}, optionally "max_cost_usd" and "compression".')
    try:
        max_cost = _max_cost(body.get("max_cost_usd"))
    except ValueError as error:
        return api_error(400, "bad_request", str(error))
    try:
        analysis = services.do_request_analysis(
            run, request.api_token, body["model"].strip(), body.get("compression") or services.DEFAULT_COMPRESSION, max_cost
        )
    except RunNotReady as refused:
        return api_error(409, refused.code, str(refused))
    except AnalysisRefused as refused:
        return JsonResponse({"error": refused.code, "detail": str(refused), **refused.numbers}, status=400)
    return JsonResponse(
        {"id": str(analysis.pk), "status": analysis.status, "estimate": analysis.estimate, "url": _url(request, analysis)},
        status=202,
    )


def _max_cost(raw) -> Decimal | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise ValueError("max_cost_usd must be a number of dollars.")
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ValueError("max_cost_usd must be a number of dollars.") from None
    if not value.is_finite() or value < 0:
        raise ValueError("max_cost_usd must be zero or more.")
    return value


@api_view(methods=("GET",), scopes=("read", "full"))
def analysis_detail(request, analysis_id):
    analysis = get_object_or_404(Analysis, pk=analysis_id, team=request.team)
    return JsonResponse(analysis_json(analysis, _url(request, analysis)))
