"""The Celery edge of follow-up answers: one task per answer, routed to the
analysis queue (settings), taking only the answer's id. The work lives in
`answering`; this decides what a failure means for the delivery."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from analysis.llm.errors import TRANSIENT_ERRORS
from webapp.conversations import answering
from webapp.core.task_options import long_task, retry_delay

# Someone is watching the page: give up sooner than an analysis does.
MAX_TRANSIENT_RETRIES = 2
STALLED_AFTER_SECONDS = 600


@long_task(max_retries=MAX_TRANSIENT_RETRIES)
def answer_question(self, message_id: int) -> None:
    message = answering.claim(message_id)
    if message is None:
        return  # held by another delivery, or finished; a dead holder's answer is requeued by the beat
    try:
        answering.answer(message)
    except TRANSIENT_ERRORS as error:
        if self.request.retries >= MAX_TRANSIENT_RETRIES:
            answering.fail(message, f"{message.model} kept failing; gave up after {MAX_TRANSIENT_RETRIES} retries: {error}")
            return
        delay = retry_delay(error, self.request.retries)
        answering.release(message, f"{error}; retrying in {delay:.0f} s")
        raise self.retry(exc=error, countdown=delay)
    except SoftTimeLimitExceeded:
        answering.fail(message, f"The answer took longer than {settings.CELERY_TASK_SOFT_TIME_LIMIT} s and was stopped.")


@shared_task
def requeue_stalled_answers() -> int:
    """Send again the answers whose message was lost or whose worker died. Claims
    make a duplicate harmless."""
    stalled = answering.stalled_ids(timedelta(seconds=STALLED_AFTER_SECONDS))
    for message_id in stalled:
        answer_question.delay(message_id)
    return len(stalled)
