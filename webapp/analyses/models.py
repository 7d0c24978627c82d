"""Analyses of runs, the team's monthly budget for them, and share links.

An Analysis row is the whole state of one job: the Celery task reads it, claims
it, records each step's result on it before moving on, and the page polls it.
Money is Decimal (summed for budgets); token counts are the provider's."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from webapp.core.fields import OrderedJSONField

# Costs of single calls are fractions of a cent; eight places keep them exact
# enough that a month of them sums to the cent.
MONEY_DIGITS = 18
MONEY_PLACES = 8
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)


def money_field(**options) -> models.DecimalField:
    return models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, **options)


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)
IN_FLIGHT = (Status.QUEUED, Status.RUNNING)


class Stage(models.TextChoices):
    QUEUED = "queued", "Queued"
    BUILDING_INPUT = "building_input", "Building input"
    COMPRESSING = "compressing", "Compressing"
    CALLING_MODEL = "calling_model", "Calling model"
    VALIDATING = "validating", "Validating"
    SAVED = "saved", "Saved"


class Verdict(models.TextChoices):
    PASS = "pass", "Pass"
    WARN = "warn", "Warn"
    FAIL = "fail", "Fail"


class Analysis(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="analyses")
    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="analyses")
    attempt = models.ForeignKey("runs.Attempt", null=True, blank=True, on_delete=models.CASCADE, related_name="+")  # None: the digest's default
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_token = models.ForeignKey("api.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    model = models.CharField(max_length=255)  # as requested
    compression = models.CharField(max_length=20)  # strategy requested: auto | native | summarize | off
    max_cost_usd = money_field(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=20, choices=Stage.choices, default=Stage.QUEUED)
    stage_detail = models.CharField(max_length=255, blank=True)  # "summarising part 2 of 5", "rate limited; retrying in 3 s"
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)

    verdict = models.CharField(max_length=4, choices=Verdict.choices, blank=True)
    findings = models.JSONField(default=list, blank=True)
    report_markdown = models.TextField(blank=True)
    report_html = models.TextField(blank=True)  # sanitised when saved; safe to mark safe

    # Stored before the call: what the person agreed to pay.
    estimate = models.JSONField(default=dict, blank=True)
    estimate_usd = money_field(default=0)
    # From the provider's usage, summed over every call of this analysis.
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    cached_input_tokens = models.BigIntegerField(default=0)
    reasoning_tokens = models.BigIntegerField(default=0)
    cost_usd = money_field(default=0)
    # Calls the provider probably billed but whose usage we never read: in flight
    # when the worker died, or answered 2xx with an unreadable body. Counted at
    # their estimate (budget and pages), kept apart from what was measured.
    call_in_flight = models.JSONField(null=True, blank=True)  # the estimate of the call being made
    unconfirmed_calls = models.JSONField(default=list, blank=True)  # [{..call, estimated: true, reason}]
    unconfirmed_usd = money_field(default=0)
    prices = models.JSONField(default=dict, blank=True)  # model name -> the per-million prices used
    current_model = models.CharField(max_length=255, blank=True)  # the model being tried: the requested one, then fallbacks
    answered_by = models.CharField(max_length=255, blank=True)
    fallback_reason = models.TextField(blank=True)
    compression_record = models.JSONField(default=dict, blank=True)

    # Checkpoints: each step's result is written here before the next step starts,
    # so a redelivered task resumes instead of paying twice.
    calls = models.JSONField(default=list, blank=True)  # every LLM call: purpose, model, usage, cost
    prompt = OrderedJSONField(null=True, blank=True)  # the compressed material for `current_model`
    raw_reply = models.TextField(blank=True)  # the last analysis reply, verbatim; kept when malformed
    calling_started_at = models.DateTimeField(null=True, blank=True)

    # The claim: a task owns the row until `lease_expires_at`; `deliveries` counts claims,
    # `retry_log` the transient failures that ended one (webapp/core/leases.py).
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    deliveries = models.PositiveIntegerField(default=0)
    retry_log = models.JSONField(default=list, blank=True)  # [{at, status, error, retry_in_seconds}]

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["team", "created_at"], name="analysis_team_created")]

    def __str__(self) -> str:
        return f"{self.model} on {self.run_id}"

    def get_absolute_url(self) -> str:
        return f"/analyses/{self.pk}/"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def answered_model(self) -> str:
        return self.answered_by or self.model


class TeamBudget(models.Model):
    """What a team may spend on analyses per calendar month (UTC). No row, or no
    limit, means no limit."""

    team = models.OneToOneField("teams.Team", on_delete=models.CASCADE, related_name="analysis_budget")
    monthly_limit_usd = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class ShareLink(models.Model):
    """A read-only link to one report. Only a SHA-256 of the token is stored, so a
    copy of the database opens no report; the link is shown once, when made."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="share_links")
    analysis = models.ForeignKey(Analysis, on_delete=models.CASCADE, related_name="share_links")
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)  # the token's last characters, to tell links apart
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
