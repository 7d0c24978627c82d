"""Included by webapp/api/urls.py under /api/v1/."""

from django.urls import path

from webapp.llm import api

urlpatterns = [
    path("models", api.models, name="api-models"),
    path("runs/<uuid:run_id>/estimate", api.run_estimate, name="api-run-estimate"),
    path("estimate", api.archive_estimate, name="api-archive-estimate"),
]
