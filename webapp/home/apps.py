from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The top of the house: the dashboard and the demo, which show and load
    what every other app holds. Nothing imports from here."""

    name = "webapp.home"
