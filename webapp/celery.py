import os

from celery import Celery, bootsteps
from celery.signals import before_task_publish

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("debrief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@before_task_publish.connect
def _start_embedded_broker(**kwargs) -> None:
    """A CLI command may queue a task while nothing serves: start the embedded
    broker so the message is kept (in its append-only file) for the next worker.
    One ping on a unix socket when it is up already."""
    from django.conf import settings

    if settings.EMBEDDED_BROKER:
        from webapp.core.embedded_broker import ensure_running

        ensure_running(settings.BROKER_DIR)


class HeartbeatStep(bootsteps.StartStopStep):
    """Every worker records that it is alive (`/healthz` shows the age), from its
    own timer: independent of beat and of how busy the queues are."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker):
        from webapp.core.heartbeat import HEARTBEAT_INTERVAL_SECONDS, beat_from_worker

        beat_from_worker(worker.hostname)
        self.tref = worker.timer.call_repeatedly(HEARTBEAT_INTERVAL_SECONDS, beat_from_worker, (worker.hostname,), priority=10)

    def stop(self, worker):
        if self.tref is not None:
            self.tref.cancel()


app.steps["worker"].add(HeartbeatStep)
