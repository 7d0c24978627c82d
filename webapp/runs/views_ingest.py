"""Bringing runs in: browser uploads and the server folders page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from webapp.runs import folders as server_folders
from webapp.runs import services
from webapp.runs.uploads import UploadTooLarge, received_files, upload_limits
from webapp.teams.access import require_write


def _writable_team(request):
    """The current team, if the user may add runs to it (403 for viewers)."""
    membership = request.membership
    if not membership:
        raise Http404("You are not in a team.")
    return require_write(request.user, membership.team).team


@login_required
@require_http_methods(["GET", "POST"])
def upload(request):
    """GET: the upload form on its own page. POST: an archive in `file`, or a
    folder's files in `files`; htmx-style requests (upload.js) get the status
    fragment to poll, plain form posts a redirect to the run."""
    if request.method == "GET":
        membership = request.membership
        return render(request, "runs/upload.html", {"can_write": bool(membership and membership.can_write), **upload_limits()})
    team = _writable_team(request)
    try:
        uploads = received_files(request, "file") or received_files(request, "files")
        run, created = services.do_create_run_from_upload(team, request.user, uploads)
    except UploadTooLarge as exc:
        return _refused(request, str(exc), 413)
    except services.UploadRejected as exc:
        return _refused(request, str(exc), 400)
    if request.htmx:
        return render(request, "runs/upload.html#upload-result", {"run": run, "created": created},
                      status=201 if created else 200)
    if not created:
        messages.info(request, "This run was already uploaded; here it is.")
    return redirect(run)


def _refused(request, reason: str, status: int):
    context = {"upload_error": reason, "can_write": True, **upload_limits()}
    template = "runs/upload.html#upload-error" if request.htmx else "runs/upload.html"
    return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def folders(request):
    """The sessions in the team's server folder (DEBRIEF_LOG_ROOTS); POST imports one."""
    if request.method == "POST":
        team = _writable_team(request)
        try:
            run, created = server_folders.do_import_server_session(team, request.POST.get("path", ""), request.user)
        except services.UploadRejected as exc:
            messages.error(request, str(exc))
            return redirect("runs:folders")
        if not created:
            messages.info(request, "That session was already imported; here it is.")
        return redirect(run)
    membership = request.membership
    if not membership:
        raise Http404("You are not in a team.")
    return render(request, "runs/folders.html", {
        "root": server_folders.team_root(membership.team),
        "sessions": server_folders.list_server_sessions(membership.team),
        "can_write": membership.can_write,
    })
