import socket

from celery import shared_task

from webapp.core.heartbeat import beat


@shared_task
def record_heartbeat(hostname: str | None = None) -> None:
    """A heartbeat sent through the broker: proves a worker takes tasks (each
    worker's own timer records the routine ones)."""
    beat(hostname or socket.gethostname())
