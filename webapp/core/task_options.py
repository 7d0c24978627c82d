"""What the long LLM tasks (an analysis, a follow-up answer) share: how their
deliveries are acknowledged and time-limited, how long a retry waits, and how a
run of transient failures is told to the person waiting (while it lasts, and
when it ends the work)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from analysis.llm.errors import TRANSIENT_ERRORS
from webapp.core.leases import LeasedWork

log = logging.getLogger(__name__)

# Backoff when the provider gives no Retry-After: 5, 10, 20, 40, 80 s, at most 120.
BACKOFF_BASE_SECONDS = 5
BACKOFF_CAP_SECONDS = 120
# A call is cut off before the soft time limit, so the task can still record why.
CALL_TIMEOUT_HEADROOM_SECONDS = 5


# An error's own text, as kept per retry and quoted in the final message.
RETRY_ERROR_CHARS = 200


def call_timeout() -> float:
    """How long one provider call may take inside a long task: DEBRIEF_LLM_CALL_TIMEOUT,
    and always short enough that the soft time limit can still record why."""
    ceiling = settings.CELERY_TASK_SOFT_TIME_LIMIT - CALL_TIMEOUT_HEADROOM_SECONDS
    return float(min(settings.DEBRIEF_LLM_CALL_TIMEOUT, ceiling))


def long_task():
    """`shared_task` for work that claims a row before doing it: the message is
    acknowledged only once the task ends, so a worker that dies mid-way gets it
    redelivered, and the claim makes that redelivery harmless. The row counts the
    retries (its `retry_log`), not Celery: a redelivered message starts Celery's
    count again."""
    return shared_task(
        bind=True,
        max_retries=None,
        acks_late=True,
        reject_on_worker_lost=True,
        soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
        time_limit=settings.CELERY_TASK_TIME_LIMIT,
    )


def carry_out(
    task,
    work: LeasedWork,
    row: Any,
    *,
    noun: str,
    max_retries: int,
    run: Callable[[bool], None],
    fail: Callable[[str], None],
    retry_later: Callable[..., None],
    model: Callable[[], str],
) -> None:
    """One delivery of a claimed row's long task (an analysis, a follow-up answer):
    `run(final_attempt)` with the claim renewed meanwhile, and what each failure
    means. A transient provider error is retried with the provider's Retry-After
    (or backoff), the row held until then, until `max_retries` retries are spent:
    counted from the row's `retry_log`, since a redelivered message starts Celery's
    count again. The soft time limit and anything unexpected fail the row at once,
    saying why, rather than leaving it to the sweeper and the next worker."""
    retries = len(row.retry_log)
    final_attempt = retries >= max_retries
    try:
        with work.holding(row.pk):
            run(final_attempt)
    except TRANSIENT_ERRORS as error:
        if final_attempt:
            fail(give_up_message(model(), row.retry_log, error))
            return
        delay = retry_delay(error, retries)
        # An eager retry (tests, CELERY_TASK_ALWAYS_EAGER) runs at once: hold nothing.
        retry_later(row, error, delay, hold_seconds=0 if task.request.is_eager else delay)
        raise task.retry(exc=error, countdown=delay)
    except SoftTimeLimitExceeded:
        fail(f"The {noun} took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")
    except Exception as error:
        log.exception("%s %s failed unexpectedly", noun, row.pk)
        fail(unexpected_failure(error))


def retry_delay(error: Exception, retries: int) -> float:
    """The provider's Retry-After when it sent one, else exponential backoff."""
    asked = getattr(error, "retry_after", None)
    if asked is not None:
        return min(float(asked), BACKOFF_CAP_SECONDS)
    return min(BACKOFF_BASE_SECONDS * 2**retries, BACKOFF_CAP_SECONDS)


def retry_entry(error: Exception, delay: float) -> dict:
    """One transient failure, as kept in a row's `retry_log`."""
    return {
        "at": timezone.now().isoformat(),
        "status": getattr(error, "status_code", None),
        "error": str(error)[:RETRY_ERROR_CHARS],
        "retry_in_seconds": round(delay),
    }


def retry_detail(error: Exception, delay: float) -> str:
    """What the page says while a retry waits: "retrying in 20 s after a 429: Rate limit reached"."""
    status = getattr(error, "status_code", None)
    after = f"a {status}" if status else "an error"
    return f"retrying in {delay:.0f} s after {after}: {error}"


def give_up_message(model: str, retry_log: list[dict], last_error: Exception) -> str:
    """The failure when transient errors outlast the retries, from all of them:
    "gpt-4o-mini answered 429 (Rate limit reached) 6 times over 3 min; gave up after 5 retries"."""
    failures = [*retry_log, retry_entry(last_error, 0)]
    kinds = Counter(_failure_kind(entry) for entry in failures)
    told = "; ".join(f"{kind} {_times(count)}" for kind, count in kinds.most_common())
    return f"{model} {told} over {_span(failures)}; gave up after {len(retry_log)} retries."


def _failure_kind(entry: dict) -> str:
    text = entry.get("error") or "no reason given"
    status = entry.get("status")
    return f"answered {status} ({text})" if status else f"failed ({text})"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _span(entries: list[dict]) -> str:
    moments = [datetime.fromisoformat(entry["at"]) for entry in entries if entry.get("at")]
    seconds = (max(moments) - min(moments)).total_seconds() if moments else 0
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def unexpected_failure(error: Exception) -> str:
    """The failure of work that hit a bug of ours rather than a provider error."""
    return (
        f"Debrief hit an unexpected error ({type(error).__name__}: {str(error)[:RETRY_ERROR_CHARS]}); "
        "the worker log has the details."
    )
