"""The runs list, one run, its status fragment and deleting it. The pages are
built by `presenters`; these views only pick the team, check access and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from webapp.runs import presenters, services
from webapp.runs.models import Run, RunStatus
from webapp.runs.uploads import upload_limits
from webapp.teams.access import get_for_member, request_membership, require_write

# Sent (HX-Trigger) when a polled run finishes ingest; templates/runs/list.html listens.
RUN_FINISHED_EVENT = "run-finished"


def run_for_member(request, pk, queryset=None) -> Run:
    return get_for_member(queryset if queryset is not None else Run.objects.all(), request, pk=pk)


@login_required
@require_GET
# The list and its #run-list fragment share a URL: without this, Back after an
# htmx filter may show the cached fragment as the whole page.
@vary_on_headers("HX-Request")
def run_list(request):
    membership = request.membership
    context = {"can_write": bool(membership and membership.can_write), **upload_limits()}
    if membership:
        context["list"] = presenters.run_list(membership.team, request.GET)
    if request.htmx and request.htmx.target == "run-list":
        return render(request, "runs/list.html#run-list", context)
    return render(request, "runs/list.html", context)


@login_required
@require_GET
def run_detail(request, pk):
    run = run_for_member(request, pk, Run.objects.select_related("created_by", "continues"))
    return render(request, "runs/run.html", {
        "run": run,
        "page": presenters.run_page(run, request.GET) if run.status == RunStatus.READY else None,
        "can_write": request_membership(request, run.team_id).can_write,
    })


@login_required
@require_GET
def run_status(request, pk):
    run = run_for_member(request, pk, Run.objects.only("id", "team_id", "status", "error"))
    if not run.is_finished:
        return render(request, "runs/run.html#status", {"run": run})
    finished = HttpResponseStopPolling(render_to_string("runs/run.html#status", {"run": run}, request))
    # The runs list listens for this and refreshes, so the finished run shows its figures.
    finished["HX-Trigger"] = RUN_FINISHED_EVENT
    return finished


@login_required
@require_GET
def file_raw(request, pk, relpath):
    """One stored file as scrubbed plain text (the file viewer's Raw and Download);
    the same part of it the viewer shows."""
    run = run_for_member(request, pk)
    file = presenters.read_run_file(run, relpath)
    if file is None or file.binary:
        raise Http404("No such text file in this run.")
    response = HttpResponse(file.text, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    if request.GET.get("download"):
        name = relpath.rsplit("/", 1)[-1].replace('"', "")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def run_delete(request, pk):
    run = run_for_member(request, pk)
    require_write(request.user, run.team)
    title = run.title
    services.do_delete_run(run, request.user)
    messages.success(request, f"Deleted the run “{title}”.")
    return redirect("runs:list")
