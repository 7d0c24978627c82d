from django.urls import path

from webapp.conversations import views

app_name = "conversations"

urlpatterns = [
    path("analyses/<uuid:pk>/questions/", views.conversation, name="page"),
    path("analyses/<uuid:pk>/questions/thread/", views.thread, name="thread"),
]
