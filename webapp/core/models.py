from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by a periodic task so the service can tell that a worker is alive."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"
