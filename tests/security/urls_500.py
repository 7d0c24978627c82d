"""A URL configuration whose one view fails, to get Django's own 500 page."""

from django.urls import path


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken)]
