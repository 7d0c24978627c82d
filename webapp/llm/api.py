"""The models and estimate endpoints of the REST API. Token scopes: read or full
(an estimate spends nothing, so a read token may ask for one)."""

from __future__ import annotations

import json

from webapp.api.decorators import api_view
from webapp.api.errors import api_error, not_found
from webapp.api.filters import query_bool
from webapp.api.responses import api_json
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, estimate_for_run, list_models
from webapp.llm.upload_estimate import do_estimate_upload
from webapp.runs.models import RUN_DOCUMENT_FIELDS, Run
from webapp.runs.presenters import choose_attempt
from webapp.runs.uploads import received_files

READ_SCOPES = ("read", "full")
# Nothing is stored, so any token may ask: an `upload` token's pipeline too.
ANY_SCOPE = ("upload", "read", "full")


@api_view(methods=("GET",), scopes=READ_SCOPES)
def models(request):
    rows = list_models(
        provider=request.GET.get("provider") or None,
        available=query_bool(request.GET, "available"),
        search=request.GET.get("q", ""),
        refresh=query_bool(request.GET, "live") or False,  # ask the endpoints again, not the cached lists
    )
    return api_json(rows)


@api_view(methods=("POST",), scopes=READ_SCOPES)
def run_estimate(request, run_id):
    run = Run.objects.defer(*RUN_DOCUMENT_FIELDS).filter(team=request.team, pk=run_id).first()
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
    attempt, _ = choose_attempt(run, {key: str(body[key]) for key in ("turn", "attempt") if key in body}, lean=True)
    # An unknown or unavailable model and a run not ready are answered by api_view (webapp.api.errors).
    return api_json(estimate_for_run(run, model.strip(), attempt, compression))


@api_view(methods=("POST",), scopes=ANY_SCOPE)
def archive_estimate(request):
    """`POST /runs`'s body (the archive in `file`) plus the fields `model` and
    `compression`: the estimate, with nothing stored."""
    if request.content_type != "multipart/form-data":
        return api_error(400, "bad_request", "Send the archive as multipart/form-data in the field `file`, with `model`.")
    uploads = received_files(request, "file")
    if len(uploads) != 1:
        for upload in uploads:
            upload.close()
        return api_error(400, "bad_request", "Send exactly one .zip, .tar.gz or .tgz archive in the multipart field `file`.")
    model, compression = request.POST.get("model", ""), request.POST.get("compression") or DEFAULT_COMPRESSION
    problem = None
    if not model.strip():
        problem = 'Name the model in the form field `model`, e.g. "gpt-5-mini".'
    elif compression not in COMPRESSION_CHOICES:
        problem = f"compression must be one of {', '.join(COMPRESSION_CHOICES)}."
    if problem:
        uploads[0].close()
        return api_error(400, "bad_request", problem)
    # An unknown model, a file that is no archive or no run: api_view answers (webapp.api.errors).
    return api_json(do_estimate_upload(uploads[0], model.strip(), compression))
