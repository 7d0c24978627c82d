from django.urls import path

from webapp.analyses import shared_views, team_views, views

app_name = "analyses"

urlpatterns = [
    path("runs/<uuid:run_id>/analyses/", views.run_analyses, name="run_analyses"),
    path("analyses/", views.team_analyses, name="list"),
    path("analyses/compare", views.compare, name="compare"),
    path("analyses/<uuid:pk>/", views.analysis_page, name="detail"),
    path("analyses/<uuid:pk>/progress/", views.analysis_progress, name="progress"),
    path("analyses/<uuid:pk>/report.md", views.download_markdown, name="download_md"),
    path("analyses/<uuid:pk>/report.json", views.download_json, name="download_json"),
    path("analyses/<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("analyses/<uuid:pk>/rerun/", views.rerun, name="rerun"),
    path("analyses/<uuid:pk>/share/", views.share, name="share"),
    path("team/shares/", team_views.shares, name="team_shares"),
    path("team/shares/<int:link_id>/revoke/", views.revoke_share, name="revoke_share"),
    path("team/budget/", team_views.budget, name="team_budget"),
    path("s/<str:token>/", shared_views.shared_report, name="shared"),
]
