"""What the long LLM tasks (an analysis, a follow-up answer) share: how their
deliveries are acknowledged and time-limited, and how long a retry waits."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

# Backoff when the provider gives no Retry-After: 5, 10, 20, 40, 80 s, at most 120.
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 120
# A call is cut off before the soft time limit, so the task can still record why.
CALL_TIMEOUT_HEADROOM_SECONDS = 5


def call_timeout() -> float:
    """How long one provider call may take inside a long task."""
    return float(settings.CELERY_TASK_SOFT_TIME_LIMIT - CALL_TIMEOUT_HEADROOM_SECONDS)


def long_task(*, max_retries: int):
    """`shared_task` for work that claims a row before doing it: the message is
    acknowledged only once the task ends, so a worker that dies mid-way gets it
    redelivered, and the claim makes that redelivery harmless."""
    return shared_task(
        bind=True,
        max_retries=max_retries,
        acks_late=True,
        reject_on_worker_lost=True,
        soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        time_limit=settings.CELERY_TASK_TIME_LIMIT,
    )


def retry_delay(error: Exception, retries: int) -> float:
    """The provider's Retry-After when it sent one, else exponential backoff."""
    asked = getattr(error, "retry_after", None)
    if asked is not None:
        return min(float(asked), BACKOFF_CAP_SECONDS)
    return min(BACKOFF_BASE_SECONDS * 2**retries, BACKOFF_CAP_SECONDS)
