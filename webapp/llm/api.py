"""The models and estimate endpoints of the REST API. Token scopes: read or full
(an estimate spends nothing, so a read token may ask for one)."""

from __future__ import annotations

import json

from django.http import JsonResponse

from analysis.registry import ModelUnavailable, UnknownModel
from webapp.api.decorators import api_view
from webapp.api.errors import api_error, not_found
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, RunNotReady, estimate_for_run, list_models
from webapp.runs.models import Run
from webapp.runs.presenters import choose_attempt

READ_SCOPES = ("read", "full")
TRUE_WORDS = ("1", "true", "yes")


@api_view(methods=("GET",), scopes=READ_SCOPES)
def models(request):
    available = request.GET.get("available")
    rows = list_models(
        provider=request.GET.get("provider") or None,
        available=None if available is None else available.lower() in TRUE_WORDS,
        search=request.GET.get("q", ""),
    )
    return JsonResponse(rows, safe=False)


@api_view(methods=("POST",), scopes=READ_SCOPES)
def run_estimate(request, run_id):
    run = Run.objects.filter(team=request.team, pk=run_id).first()
    if run is None:
        return not_found()
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return api_error(400, "bad_request", "The body is not JSON.")
    if not isinstance(body, dict):
        return api_error(400, "bad_request", 'Send a JSON object: {"model": "..."}.')
    model, compression = body.get("model"), body.get("compression", DEFAULT_COMPRESSION)
    if not isinstance(model, str) or not model.strip():
        return api_error(400, "bad_request", 'Name the model: {"model": "gpt-5-mini"}.')
    if compression not in COMPRESSION_CHOICES:
        return api_error(400, "bad_request", f"compression must be one of {', '.join(COMPRESSION_CHOICES)}.")
    attempt, _ = choose_attempt(run, {key: str(body[key]) for key in ("turn", "attempt") if key in body})
    try:
        return JsonResponse(estimate_for_run(run, model.strip(), attempt, compression))
    except UnknownModel as error:
        return api_error(400, "unknown_model", str(error))
    except ModelUnavailable as error:
        return api_error(400, "model_unavailable", str(error))
    except RunNotReady as error:
        return api_error(409, "run_not_ready", str(error))
