from django.urls import path

from webapp.home import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
