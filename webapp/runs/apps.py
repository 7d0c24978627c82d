from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "webapp.runs"

    def ready(self) -> None:
        from webapp.core import leases

        leases.register("runs", "webapp.runs.ingest.release_all_claims")
