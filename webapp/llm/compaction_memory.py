"""`analysis.compression.CompactionSupportMemory` in the database, so that every
web and worker process learns at once that a model refused /responses/compact."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from analysis.llm.modelinfo import ModelInfo
from webapp.llm.models import UnsupportedCompaction

# Providers add compaction to more models over time (it launched on one family):
# a refusal is trusted for this long, then the endpoint is tried again.
REMEMBER_REFUSALS_FOR = timedelta(days=30)
MAX_REASON_CHARS = 1_000


class DatabaseCompactionSupport:
    def unsupported_reason(self, model: ModelInfo) -> str | None:
        recent = UnsupportedCompaction.objects.filter(
            model_name=model.name, noted_at__gte=timezone.now() - REMEMBER_REFUSALS_FOR
        )
        return recent.values_list("reason", flat=True).first()

    def remember_unsupported(self, model: ModelInfo, reason: str) -> None:
        UnsupportedCompaction.objects.update_or_create(
            model_name=model.name, defaults={"reason": reason[:MAX_REASON_CHARS], "noted_at": timezone.now()}
        )
