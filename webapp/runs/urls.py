from django.urls import path

from webapp.runs import views, views_files, views_ingest

app_name = "runs"

urlpatterns = [
    path("runs/", views.run_list, name="list"),
    path("runs/upload/", views_ingest.upload, name="upload"),
    path("runs/folders/", views_ingest.folders, name="folders"),
    path("runs/<uuid:pk>/", views.run_detail, name="detail"),
    path("runs/<uuid:pk>/status/", views.run_status, name="status"),
    path("runs/<uuid:pk>/delete/", views.run_delete, name="delete"),
    path("runs/<uuid:pk>/files/", views_files.file_list, name="files"),
    path("runs/<uuid:pk>/files/<path:relpath>", views_files.file_detail, name="file"),
    path("runs/<uuid:pk>/raw/<path:relpath>", views.file_raw, name="file_raw"),
]
