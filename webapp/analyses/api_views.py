"""`POST /api/v1/runs/{id}/analyses`, `GET /api/v1/analyses/{id}` and
`POST /api/v1/analyses/{id}/cancel`: public contracts for CI. Everything is
looked up inside the token's team (404 outside). A refusal is raised, and
`api_view` answers it from webapp.api.errors' table."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.analyses.requests import AnalysisRequest
from webapp.analyses.serializers import analysis_json
from webapp.api.decorators import api_view
from webapp.api.responses import api_json
from webapp.runs.models import Run


def _url(request, analysis: Analysis) -> str:
    return request.build_absolute_uri(analysis.get_absolute_url())


@api_view(methods=("POST",), scopes=("full",))
def request_analysis(request, run_id):
    run = get_object_or_404(Run, pk=run_id, team=request.team)
    analysis = services.do_analyse(run, request.api_token, AnalysisRequest.from_json(request.body))
    return api_json(
        {"id": str(analysis.pk), "status": analysis.status, "estimate": analysis.estimate, "url": _url(request, analysis)},
        status=202,
    )


@api_view(methods=("GET",), scopes=("read", "full"))
def analysis_detail(request, analysis_id):
    analysis = get_object_or_404(Analysis, pk=analysis_id, team=request.team)
    return api_json(analysis_json(analysis, _url(request, analysis)))


@api_view(methods=("POST",), scopes=("full",))
def cancel_analysis(request, analysis_id):
    """A queued analysis stops at once, a running one at its next step; a finished
    one is left as it is. Answers the analysis as `GET` would."""
    analysis = get_object_or_404(Analysis, pk=analysis_id, team=request.team)
    analysis = services.do_cancel(analysis, request.api_token)
    return api_json(analysis_json(analysis, _url(request, analysis)))
