from django.apps import AppConfig


class AnalysesConfig(AppConfig):
    name = "webapp.analyses"
