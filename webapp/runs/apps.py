from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "webapp.runs"

    def ready(self) -> None:
        from webapp.core import leases

        leases.register("runs", "webapp.runs.tasks.take_back_all")
