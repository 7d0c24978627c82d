"""Helpers shared by the compression tests that are not fixtures."""

from __future__ import annotations

import json

from webapp.conversations import answering
from webapp.conversations.models import Message

# Pushes the history past FOLLOWUP_THRESHOLD_FRACTION of the small window's budget.
LONG_ANSWER_TOKENS = 6_500


def answer_now(message: Message) -> Message:
    """One delivery of the answer task, minus Celery."""
    claimed = answering.claim(message.pk)
    assert claimed is not None, "the answer could not be claimed"
    answering.answer(claimed)
    return Message.objects.get(pk=message.pk)


def analysis_requests(fake) -> list:
    """The requests that carried an analysis or an answer (not compaction, not summaries)."""
    return [request for request in fake.requests() if request.endpoint == "responses" and _wants_report(request)]


def _wants_report(request) -> bool:
    return ((request.body.get("text") or {}).get("format") or {}).get("type") == "json_schema"


def item_bytes(item: dict) -> bytes:
    """An input item as HTTP clients serialise it: what a request must contain byte for byte."""
    return json.dumps(item, separators=(",", ":")).encode()


def billed_usd(request, input_usd_per_mtok: float, output_usd_per_mtok: float) -> float:
    """What the fake's reply to `request` bills at these prices."""
    usage = request.reply["usage"]
    input_tokens = usage.get("input_tokens", usage.get("prompt_tokens"))
    output_tokens = usage.get("output_tokens", usage.get("completion_tokens"))
    return (input_tokens * input_usd_per_mtok + output_tokens * output_usd_per_mtok) / 1_000_000
