"""The Celery edge of follow-up answers: one task per answer, routed to the
analysis queue (settings), taking only the answer's id. The work lives in
`answering`; this decides what a failure means for the delivery."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task

from webapp.conversations import answering
from webapp.core.task_options import carry_out, long_task

# Someone is watching the page: give up sooner than an analysis does.
MAX_TRANSIENT_RETRIES = 2
STALLED_AFTER_SECONDS = 600


@long_task()
def answer_question(self, message_id: int) -> None:
    message = answering.claim(message_id)
    if message is None:
        return  # held by another delivery, or finished; a dead holder's answer is requeued by the beat
    carry_out(
        self, answering.WORK, message, noun="answer", max_retries=MAX_TRANSIENT_RETRIES,
        run=lambda final_attempt: answering.answer(message),
        fail=lambda error: answering.fail(message, error),
        retry_later=answering.retry_later,
        model=lambda: message.model,
    )


def take_back_all() -> int:
    """For `debrief serve` when no worker runs: expire every claim and send every
    waiting answer again (see webapp.analyses.tasks.take_back_all)."""
    answering.release_all_claims()
    waiting = answering.stalled_ids(timedelta(0))
    for message_id in waiting:
        answer_question.delay(message_id)
    return len(waiting)


@shared_task
def requeue_stalled_answers() -> int:
    """Send again the answers whose message was lost or whose worker died. Claims
    make a duplicate harmless."""
    stalled = answering.stalled_ids(timedelta(seconds=STALLED_AFTER_SECONDS))
    for message_id in stalled:
        answer_question.delay(message_id)
    return len(stalled)
