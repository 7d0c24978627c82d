"""REST API v1 endpoints: parse the request, call one service function, answer JSON."""

from __future__ import annotations

import uuid

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.urls import reverse

from webapp.api import filters
from webapp.api.decorators import api_route, api_view
from webapp.api.errors import api_error
from webapp.api.models import Scope
from webapp.api.representations import run_detail, run_item
from webapp.audit.services import AuditFilter, entry_json, team_entries
from webapp.api.responses import api_json, no_content
from webapp.api.schema import build_schema, endpoints
from webapp.runs.models import Run, RunSource
from webapp.runs.services import do_create_run_from_upload, do_delete_run
from webapp.runs.services.staging import archive_suffix
from webapp.runs.uploads import received_files

READ = (Scope.READ, Scope.FULL)
UPLOAD = (Scope.UPLOAD, Scope.FULL)
FULL = (Scope.FULL,)


@api_view(methods=("POST",), scopes=UPLOAD)
def create_run(request):
    if request.content_type != "multipart/form-data":
        return api_error(400, "bad_request", "Send the archive as multipart/form-data in the field `file`.")
    uploads = received_files(request, "file")
    if len(uploads) != 1:
        return api_error(400, "bad_request", "Send exactly one .zip, .tar.gz or .tgz archive in the multipart field `file`.")
    archive_suffix(uploads[0].name, uploads[0].head)  # the API takes archives only, not a folder's files
    run, created = do_create_run_from_upload(request.team, None, uploads, source=RunSource.API, actor=request.api_token)
    response = api_json(run_item(request, run), status=201 if created else 200)
    if created:
        response["Location"] = reverse("api:run", args=[run.pk])
    return response


@api_view(methods=("GET",), scopes=READ)
def list_runs(request):
    limit = filters.page_limit(request.GET)
    runs = filters.filter_runs(Run.objects.filter(team=request.team), request.GET)
    page = list(filters.after_cursor(runs, request.GET.get("cursor")).order_by("-created_at", "-id").defer("summary").prefetch_related("continuations")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    cursor = filters.encode_cursor(page[-1]) if more else None
    query = request.GET.copy()
    if cursor:
        query["cursor"] = cursor
    return api_json({
        "results": [run_item(request, run) for run in page],
        "next_cursor": cursor,
        "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}") if cursor else None,
    })


@api_view(methods=("GET",), scopes=READ)
def get_run(request, run_id: str):
    return api_json(run_detail(request, _team_run(request, run_id)))


@api_view(methods=("DELETE",), scopes=FULL)
def delete_run(request, run_id: str):
    do_delete_run(_team_run(request, run_id), request.api_token)
    return no_content()


@api_view(methods=("GET",), scopes=FULL)
def audit(request):
    """The token's team's audit log, newest first, by cursor."""
    try:
        chosen = AuditFilter.parse(request.GET, blank_action_is_any=False)
    except ValueError as error:
        raise filters.BadQuery(str(error)) from None
    limit = filters.page_limit(request.GET)
    entries = team_entries(request.team, chosen)
    cursor = request.GET.get("cursor")
    if cursor is not None:
        entries = entries.filter(id__lt=filters.decode_id_cursor(cursor))
    page = list(entries[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    next_cursor = str(page[-1].pk) if more else None
    query = request.GET.copy()
    if next_cursor:
        query["cursor"] = next_cursor
    return api_json({
        "results": [entry_json(entry) for entry in page],
        "next_cursor": next_cursor,
        "next": request.build_absolute_uri(f"{request.path}?{query.urlencode()}") if next_cursor else None,
    })


@api_view(methods=("GET",), scopes=None)
def schema(request):
    return api_json(build_schema(request), json_dumps_params={"indent": 2})


@api_view(methods=("GET",), scopes=None)
def docs(request):
    return render(request, "api/docs.html", {"endpoints": endpoints(), "schema_url": reverse("api:schema")})


# Any method: without the exemption a POST or DELETE to an unknown path would get
# Django's HTML CSRF 403 before this view could answer in JSON.
@csrf_exempt
def not_found(request, rest: str = ""):
    return api_error(404, "not_found", f"There is no API endpoint at {request.path}; see {reverse('api:docs')}.")


runs = api_route(list_runs, create_run)
run = api_route(get_run, delete_run)


def _team_run(request, run_id: str) -> Run:
    # Another team's run is as absent as a run that never existed.
    try:
        key = uuid.UUID(run_id)
    except ValueError:
        raise Http404 from None
    found = Run.objects.filter(team=request.team, pk=key).first()
    if found is None:
        raise Http404
    return found
