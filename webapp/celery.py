import os
import time

from celery import Celery, bootsteps
from celery.signals import before_task_publish, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")

app = Celery("debrief")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# A publishing process checks the embedded broker at most this often; in between,
# `debrief serve` restarts a broker that dies, and kombu retries the publish.
BROKER_CHECK_INTERVAL_SECONDS = 10
_broker_checked_at: float | None = None


@before_task_publish.connect
def _start_embedded_broker(**kwargs) -> None:
    """A CLI command may queue a task while nothing serves: start the embedded
    broker so the message is kept (in its append-only file) for the next worker."""
    global _broker_checked_at
    from django.conf import settings

    now = time.monotonic()
    if not settings.EMBEDDED_BROKER or (_broker_checked_at is not None and now - _broker_checked_at < BROKER_CHECK_INTERVAL_SECONDS):
        return
    from webapp.core.embedded_broker import ensure_running

    ensure_running(settings.BROKER_DIR)
    _broker_checked_at = now


@worker_init.connect
def _import_litellm_before_forking(sender=None, **kwargs) -> None:
    """A worker that serves analyses imports litellm once, in its main process, so
    every pool process forks with it loaded. Imported lazily inside a task instead,
    it cost each new pool process 3-5 s of its time limit, and a time limit that
    fired mid-import left litellm half-imported (AttributeError in every later task
    of that process)."""
    from django.conf import settings

    consumed = sender.app.amqp.queues.consume_from  # None: every queue
    if consumed and not set(consumed) & set(settings.ANALYSIS_QUEUES):
        return  # an ingest-only worker never calls a model
    from analysis.registry.warmup import warm_up_litellm

    warm_up_litellm()


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
