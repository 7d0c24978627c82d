"""What the report page shows of an analysis's compression: the record the task
saved (`analysis.compression.CompressionRecord`) with its calls summed."""

from __future__ import annotations

from dataclasses import dataclass

from django import template

from analysis.compression import CompressionRecord
from analysis.llm.calls import total_cost, total_usage
from analysis.llm.usage import Usage

register = template.Library()


@dataclass(frozen=True)
class CompressionView:
    record: CompressionRecord
    usage: Usage  # of the compaction and summary calls together
    cost_usd: float

    @property
    def compressed(self) -> bool:
        return self.record.applied != "none"

    @property
    def saved_tokens(self) -> int:
        return self.record.tokens_before - self.record.tokens_after


@register.simple_tag
def compression_of(analysis) -> CompressionView | None:
    """None when the analysis has not reached compression (or needs none: offline)."""
    if not analysis.compression_record:
        return None
    record = CompressionRecord.from_dict(analysis.compression_record)
    return CompressionView(record, total_usage(record.calls), total_cost(record.calls))
