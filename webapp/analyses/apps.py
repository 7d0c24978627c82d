from django.apps import AppConfig


class AnalysesConfig(AppConfig):
    name = "webapp.analyses"

    def ready(self) -> None:
        from webapp.core import leases

        leases.register("analyses", "webapp.analyses.tasks.take_back_all")
