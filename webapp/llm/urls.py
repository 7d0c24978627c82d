from django.urls import path

from webapp.llm import views

app_name = "llm"

urlpatterns = [
    path("models/", views.model_list, name="models"),
    path("runs/<uuid:pk>/estimate", views.run_estimate, name="estimate"),
]
