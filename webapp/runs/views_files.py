"""The raw-file browser: a run's stored files, and one of them as escaped text."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from webapp.runs import presenters
from webapp.runs.presenters.run_files import NoSuchFilesPage, files_page
from webapp.runs.views import run_for_member


@login_required
@require_GET
def file_list(request, pk):
    run = run_for_member(request, pk)
    try:
        page = files_page(run, request.GET.get("page"))
    except NoSuchFilesPage as exc:
        raise Http404(str(exc)) from None
    return render(request, "runs/files.html", {
        "run": run, "page": page, "files": page.object_list, "cap": presenters.FILE_VIEW_MAX_BYTES,
    })


@login_required
@require_GET
@vary_on_headers("HX-Request")  # page and run-page fragment share this URL
def file_detail(request, pk, relpath):
    run = run_for_member(request, pk)
    file = presenters.read_run_file(run, relpath)
    if file is None:
        raise Http404("No such file in this run.")
    template = "runs/file.html#file-text" if request.htmx else "runs/file.html"
    return render(request, template, {"run": run, "file": file})
