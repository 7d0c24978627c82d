"""The raw-file browser: a run's stored files, and one of them as escaped text."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from webapp.runs import presenters
from webapp.runs.views import run_for_member


@login_required
@require_GET
def file_list(request, pk):
    run = run_for_member(request, pk)
    return render(request, "runs/files.html", {
        "run": run, "files": presenters.list_files(run), "cap": presenters.FILE_VIEW_MAX_BYTES,
    })


@login_required
@require_GET
def file_detail(request, pk, relpath):
    run = run_for_member(request, pk)
    file = presenters.read_run_file(run, relpath)
    if file is None:
        raise Http404("No such file in this run.")
    template = "runs/file.html#file-text" if request.htmx else "runs/file.html"
    return render(request, template, {"run": run, "file": file})
