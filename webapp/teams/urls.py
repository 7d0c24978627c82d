from django.urls import path

from webapp.teams import views

urlpatterns = [
    path("team/", views.current_team_page, name="current_team"),
    path("teams/switch/", views.switch_team, name="switch_team"),
    path("teams/<slug:slug>/", views.team_page, name="team"),
    path("teams/<slug:slug>/members/", views.add_member, name="add_member"),
    path("teams/<slug:slug>/members/<int:membership_id>/", views.change_member, name="change_member"),
    path("teams/<slug:slug>/retention/", views.set_retention, name="set_retention"),
]
