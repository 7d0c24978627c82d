"""Follow-up conversations about an analysed run, and which models refused
OpenAI's compact endpoint.

A conversation belongs to one analysis and is answered by the model that wrote
its report. Each question is a user Message; its answer is an assistant Message
that starts `queued` and is the unit of work a task claims; the page polls it."""

from __future__ import annotations


from django.conf import settings
from django.db import models
from django.utils import timezone

from webapp.analyses.models import money_field
from webapp.core.fields import OrderedJSONField


class Conversation(models.Model):
    analysis = models.OneToOneField("analyses.Analysis", on_delete=models.CASCADE, related_name="conversation")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")  # for member lookups
    # The Responses-API items `analysis.engine.followup.ask` continues from: the report, the
    # turns so far, possibly a compacted window, exactly as they came.
    history = OrderedJSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Questions about {self.analysis_id}"


class Role(models.TextChoices):
    USER = "user", "Question"
    ASSISTANT = "assistant", "Answer"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    ANSWERING = "answering", "Answering"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


PENDING = (MessageStatus.QUEUED, MessageStatus.ANSWERING)


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    in_reply_to = models.OneToOneField("self", null=True, blank=True, on_delete=models.CASCADE, related_name="answer")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.DONE)
    text = models.TextField(blank=True)  # the question, or the answer's Markdown as the model wrote it
    html = models.TextField(blank=True)  # the answer sanitised when saved; safe to mark safe
    error = models.TextField(blank=True)
    detail = models.CharField(max_length=255, blank=True)  # what a pending answer waits for: "rate limited; retrying in 3 s"
    model = models.CharField(max_length=255, blank=True)  # who answers

    # An answer reserves its estimate against the team's budget until its calls are counted.
    estimate_usd = money_field(default=0)
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_usd = money_field(default=0)
    calls = models.JSONField(default=list, blank=True)  # every call of this turn: purpose, model, usage, cost
    # Calls probably billed whose usage was never read, counted at their estimate,
    # as on Analysis (webapp/analyses/ledger.py).
    call_in_flight = models.JSONField(null=True, blank=True)  # the estimate of the call being made
    unconfirmed_calls = models.JSONField(default=list, blank=True)  # [{..call, estimated: true, reason}]
    unconfirmed_usd = money_field(default=0)
    shrunk = models.CharField(max_length=10, blank=True)  # how the history was shrunk: none | native | summarize
    fallback_reason = models.TextField(blank=True)

    lease_expires_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    retry_log = models.JSONField(default=list, blank=True)  # transient failures, as on Analysis
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.role} in {self.conversation_id}"

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING
