"""The llm app's tables: what it remembers across processes about models and runs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class UnsupportedCompaction(models.Model):
    """A model whose compact endpoint refused (400/404): later analyses and
    follow-ups, in any process, summarise instead of asking again."""

    model_name = models.CharField(max_length=255, unique=True)
    reason = models.TextField()
    noted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Created by the conversations app, which held the compression settings
        # before they moved here; the table kept its name.
        db_table = "conversations_unsupportedcompaction"

    def __str__(self) -> str:
        return f"{self.model_name}: {self.reason}"


class EstimateFigure(models.Model):
    """What a run's cost preview needs and is slow to compute, kept per run: the input
    tokens of its analysis request per tokenizer (kind "prompt") and, where it does not
    fit a model, the compression plan (kind "plan"). A stored run's files never change,
    so after a restart (an empty cache) the first preview reads a row and does
    arithmetic instead of reading, digesting and counting the run again (seconds on a
    1M-token run). `key` names everything the figure depends on (kind, attempt,
    tokenizer or model, digest version, prompt and schema fingerprints:
    `estimate_cache.entry_key`), so a new release computes again instead of using a
    stale figure."""

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    value = models.JSONField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="one_estimate_figure_per_key")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.key}"
