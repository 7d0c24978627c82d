"""REST API v1, mounted at /api/v1/. Every route here is described in
`webapp.api.schema.PATHS` (a test checks both ways)."""

from django.urls import include, path, re_path

from webapp.api import views

app_name = "api"

urlpatterns = [
    path("runs", views.runs, name="runs"),
    path("runs/<str:run_id>", views.run, name="run"),
    path("audit", views.audit, name="audit"),
    path("schema", views.schema, name="schema"),
    path("docs", views.docs, name="docs"),
    path("", include("webapp.analyses.api_urls")),
    path("", include("webapp.llm.api_urls")),
]

# Not an endpoint: unknown /api/v1/ paths answer in the API's JSON error shape,
# whatever the method. [\s\S] and \Z: a path may hold a (percent-encoded) newline.
fallback = [re_path(r"^(?P<rest>[\s\S]*)\Z", views.not_found)]
urlpatterns += fallback
