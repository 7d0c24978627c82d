"""Counts every Celery task into debrief_tasks_total{task,outcome} and
debrief_task_seconds, from Celery's own signals, in the process that ran it."""

from __future__ import annotations

import time

from celery.signals import task_postrun, task_prerun

from webapp.core import metrics

_started: dict[str, float] = {}


@task_prerun.connect
def _task_started(task_id=None, **kwargs) -> None:
    if task_id:
        _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    # SUCCESS, FAILURE, RETRY, IGNORED, REJECTED -> success, failure, ...
    metrics.inc("debrief_tasks", task=name, outcome=(state or "unknown").lower())
    if started is not None:
        metrics.observe_task_seconds(name, time.monotonic() - started)
