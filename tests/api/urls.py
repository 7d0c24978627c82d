"""The site's URLs plus the API tokens page, for the page tests until the
site's urls.py includes `webapp.api.page_urls` itself."""

from django.urls import include, path

from webapp.urls import urlpatterns as site

urlpatterns = [path("", include("webapp.api.page_urls")), *site]
