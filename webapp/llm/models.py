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


class PromptTokenCount(models.Model):
    """The input tokens of a run's analysis request, counted once with one tokenizer
    and kept: a stored run's files never change, so after a restart (an empty cache)
    the first cost preview is arithmetic instead of reading, digesting and counting
    the run again (seconds on a 1M-token run). `key` names everything the count
    depends on (attempt, tokenizer, digest version, prompt and schema fingerprints:
    `estimate_cache.entry_key`), so a new release counts again instead of using a
    stale figure."""

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    tokens = models.BigIntegerField()
    counted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="one_prompt_count_per_key")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.key}: {self.tokens}"
