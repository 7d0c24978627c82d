from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webapp.core"

    def ready(self) -> None:
        # Connects the Celery signals that count tasks for /metrics.
        from webapp.core import task_metrics  # noqa: F401
