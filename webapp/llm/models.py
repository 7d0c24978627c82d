"""The llm app's one table: what it remembers across processes about models."""

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
