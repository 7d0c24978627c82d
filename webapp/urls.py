from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("webapp.core.urls")),
    path("", include("webapp.home.urls")),
    path("", include("webapp.teams.urls")),
    path("", include("webapp.api.page_urls")),
    path("", include("webapp.runs.urls")),
    path("", include("webapp.llm.urls")),
    path("", include("webapp.analyses.urls")),
    path("", include("webapp.conversations.urls")),
    path("api/v1/", include("webapp.api.urls")),
]

# Branded pages; 400 and 500 are Django's own views rendering templates/400.html and 500.html.
handler404 = "webapp.core.errors.page_not_found"
handler403 = "webapp.core.errors.permission_denied"
