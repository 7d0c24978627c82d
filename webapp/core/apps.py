from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "webapp.core"

    def ready(self) -> None:
        # The project's Celery app, before anything sends a task: shared tasks
        # send through it, and its signal starts the embedded broker.
        import webapp.celery  # noqa: F401

        # Connects the Celery signals that count tasks for /metrics.
        from webapp.core import task_metrics  # noqa: F401
