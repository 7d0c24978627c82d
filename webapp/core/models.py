from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by a periodic task so the service can tell that a worker is alive."""

    hostname = models.CharField(max_length=255, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.seen_at:%Y-%m-%d %H:%M:%S}"


class MetricValue(models.Model):
    """One Prometheus series (a counter, or one histogram bucket, sum or count),
    shared by every process through the database; see webapp/core/metrics.py."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=500)  # canonical JSON of the label set, sorted keys
    value = models.FloatField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="one_row_per_series")]

    def __str__(self) -> str:
        return f"{self.name}{self.labels} {self.value}"
