import socket

from celery import shared_task
from django.utils import timezone

from webapp.core.models import WorkerHeartbeat


@shared_task
def record_heartbeat(hostname: str | None = None) -> None:
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname or socket.gethostname(), defaults={"seen_at": timezone.now()}
    )
