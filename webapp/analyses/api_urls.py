from django.urls import path

from webapp.analyses import api_views

urlpatterns = [
    path("runs/<uuid:run_id>/analyses", api_views.request_analysis, name="api_request_analysis"),
    path("analyses/<uuid:analysis_id>", api_views.analysis_detail, name="api_analysis"),
    path("analyses/<uuid:analysis_id>/cancel", api_views.cancel_analysis, name="api_cancel_analysis"),
]
