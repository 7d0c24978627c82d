"""A CSRF-protected upload view, to test the upload handler under the CSRF
middleware (which reads the body before any view runs)."""

from django.http import HttpResponse
from django.urls import path

from webapp.runs.uploads import UploadTooLarge, received_files


def receive(request):
    try:
        files = received_files(request, "files")
    except UploadTooLarge as exc:
        return HttpResponse(str(exc), status=413)
    return HttpResponse(",".join(upload.relative_path for upload in files))


urlpatterns = [path("receive/", receive)]
