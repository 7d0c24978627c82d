"""Prometheus metrics kept in the database, so that every process counts into
the same series: gunicorn's web workers, every Celery worker and its pool
processes, `debrief` commands, on this machine or on others.

Why not prometheus-client's multiprocess mode: it sums per-process files in
PROMETHEUS_MULTIPROC_DIR, which every counting process and the one serving
/metrics must share; web and workers on separate machines (a Kubernetes pod per
worker) share no folder, so the web's /metrics would miss every task. The
database is the one thing they all share already. Counters also survive
restarts, so they only grow, as Prometheus expects. The cost is one upsert per
event counted (a task finishing, a provider call, an ingest), small next to the
event itself. The queue depth is a gauge read from the broker when scraped.

Each series is a row (name, labels, value), incremented with a single
`INSERT … ON CONFLICT DO UPDATE SET value = value + …` (PostgreSQL and SQLite
alike), so concurrent increments never lose one."""

from __future__ import annotations

import json
import logging
from bisect import bisect_left
from collections import defaultdict

from django.db import DatabaseError, connection, transaction
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from webapp.core.models import MetricValue

log = logging.getLogger(__name__)

# name (as exposed, without `_total`) -> (help, label names)
COUNTERS = {
    "debrief_tasks": ("Celery tasks finished, by task and outcome (success, failure, retry).", ("task", "outcome")),
    "debrief_llm_calls": ("Provider calls, by provider, model and status: ok; unconfirmed (probably billed, reply lost); "
                          "http_NNN or error (failed, retried).", ("provider", "model", "status")),
    "debrief_llm_cost_usd": ("Dollars spent on provider calls, confirmed and estimated-unconfirmed.", ("provider", "model")),
    "debrief_runs_ingested": ("Runs ingested to ready.", ()),
    "debrief_ingest_bytes": ("Bytes of the archives of runs ingested to ready.", ()),
}
TASK_SECONDS = "debrief_task_seconds"
TASK_SECONDS_HELP = "How long Celery tasks ran, by task."
# Tasks take 0.1 s (bookkeeping) to many minutes (analyses with retries).
TASK_SECONDS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
QUEUE_DEPTH = "debrief_queue_depth"
MAX_LABEL_CHARS = 100
_INF = "+Inf"


def _labels(labels: dict[str, str]) -> str:
    return json.dumps({key: str(value)[:MAX_LABEL_CHARS] for key, value in labels.items()}, sort_keys=True, separators=(",", ":"))


def _add(name: str, amount: float, labels: dict[str, str]) -> None:
    table = MetricValue._meta.db_table
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(table)} ({qn('name')}, {qn('labels')}, {qn('value')}) VALUES (%s, %s, %s) "
           f"ON CONFLICT ({qn('name')}, {qn('labels')}) DO UPDATE SET {qn('value')} = {qn(table)}.{qn('value')} + EXCLUDED.{qn('value')}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [name, _labels(labels), float(amount)])


def _safely(write) -> None:
    """A metric is never worth failing the work it counts: a database error
    (in a savepoint, so an outer transaction survives it) is logged and dropped."""
    try:
        with transaction.atomic():
            write()
    except DatabaseError:
        log.warning("metric not recorded", exc_info=True)


def inc(name: str, amount: float = 1.0, **labels: str) -> None:
    """Add to the counter `name` (one of COUNTERS, exposed with `_total`)."""
    if name not in COUNTERS:
        raise KeyError(f"unknown counter {name!r}")
    _safely(lambda: _add(name, amount, labels))


def observe_task_seconds(task: str, seconds: float) -> None:
    """One observation of the task-duration histogram: its own bucket (the
    buckets are summed up to each bound when read), the sum and the count."""
    index = bisect_left(TASK_SECONDS_BUCKETS, seconds)
    bound = str(TASK_SECONDS_BUCKETS[index]) if index < len(TASK_SECONDS_BUCKETS) else _INF

    def write():
        _add(f"{TASK_SECONDS}_bucket", 1, {"task": task, "le": bound})
        _add(f"{TASK_SECONDS}_sum", seconds, {"task": task})
        _add(f"{TASK_SECONDS}_count", 1, {"task": task})

    _safely(write)


class DatabaseCollector:
    """What /metrics exposes: the stored series, and the queue depths from
    `queue_depths` (a callable returning {queue: messages}, or raising)."""

    def __init__(self, queue_depths=None):
        self.queue_depths = queue_depths

    def collect(self):
        rows = list(MetricValue.objects.values_list("name", "labels", "value"))
        by_name = defaultdict(list)
        for name, labels, value in rows:
            by_name[name].append((json.loads(labels), value))
        for name, (help_text, label_names) in COUNTERS.items():
            family = CounterMetricFamily(name, help_text, labels=label_names)
            for labels, value in sorted(by_name.get(name, []), key=lambda item: sorted(item[0].items())):
                family.add_metric([labels.get(key, "") for key in label_names], value)
            yield family
        yield self._histogram(by_name)
        if self.queue_depths is not None:
            yield self._queues()

    @staticmethod
    def _histogram(by_name) -> HistogramMetricFamily:
        family = HistogramMetricFamily(TASK_SECONDS, TASK_SECONDS_HELP, labels=("task",))
        sums = {labels["task"]: value for labels, value in by_name.get(f"{TASK_SECONDS}_sum", [])}
        per_bucket = defaultdict(dict)
        for labels, value in by_name.get(f"{TASK_SECONDS}_bucket", []):
            per_bucket[labels["task"]][labels["le"]] = value
        for task in sorted(per_bucket):
            running, buckets = 0.0, []
            for bound in [str(b) for b in TASK_SECONDS_BUCKETS] + [_INF]:
                running += per_bucket[task].get(bound, 0.0)
                buckets.append((bound, running))
            family.add_metric([task], buckets, sums.get(task, 0.0))
        return family

    def _queues(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(QUEUE_DEPTH, "Messages waiting in each Celery queue (absent when the broker cannot be read).",
                                   labels=("queue",))
        try:
            depths = self.queue_depths()
        except Exception:
            log.warning("queue depths not read", exc_info=True)
            return family
        for queue, depth in sorted(depths.items()):
            family.add_metric([queue], depth)
        return family
