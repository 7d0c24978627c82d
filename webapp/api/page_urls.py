"""Web pages of the api app, mounted at the site root (not under /api/v1/)."""

from django.urls import path

from webapp.api import pages

urlpatterns = [
    path("team/tokens/", pages.token_list, name="api_tokens"),
    path("team/tokens/<int:token_id>/revoke/", pages.revoke_token, name="revoke_api_token"),
]
