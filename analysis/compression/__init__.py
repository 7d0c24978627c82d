"""Fitting a run that is too large for the analysis model (issue 7).

When: the whole final request (instructions, raw material, digest) is counted, and
compressed when it passes `threshold_fraction` of the model's input budget (the
context window minus room for the answer minus a safety margin; see llm/budget.py).
The digest is never compressed: if it alone does not fit, DoesNotFit says so.

How: `native` feeds the raw material through OpenAI's /responses/compact in pieces
(each call's input is the previous compacted window plus the next piece) and sends
the final window unchanged; `summarize` summarises pieces and merges the summaries
until they fit, with the analysis model or a cheaper summariser; `auto` picks
native where the model supports it; `off` refuses with the numbers. A compact
endpoint that refuses (400/404) is remembered per model; one that fails for the
moment (5xx, time-out, a rate limit on the task's last attempt) falls back to
summarising for this run only.

`plan_compression` walks through the very same steps with a runner that counts
instead of calling (llm/runners.py), so the preview lists the calls the run will
make and prices them with the same arithmetic."""

from analysis.compression.compressor import (
    ANALYSIS_OUTPUT_TOKENS_ESTIMATE,
    Applied,
    COMPACTION_INSTRUCTIONS,
    CompactionSupportMemory,
    CompressionPlan,
    CompressionRecord,
    CompressionResult,
    CompressionSettings,
    DEFAULT_THRESHOLD_FRACTION,
    DoesNotFit,
    InMemoryCompactionSupport,
    OnStage,
    PROCESS_COMPACTION_MEMORY,
    Strategy,
    compress,
    plan_compression,
)

__all__ = [
    "ANALYSIS_OUTPUT_TOKENS_ESTIMATE",
    "Applied",
    "COMPACTION_INSTRUCTIONS",
    "CompactionSupportMemory",
    "CompressionPlan",
    "CompressionRecord",
    "CompressionResult",
    "CompressionSettings",
    "DEFAULT_THRESHOLD_FRACTION",
    "DoesNotFit",
    "InMemoryCompactionSupport",
    "OnStage",
    "PROCESS_COMPACTION_MEMORY",
    "Strategy",
    "compress",
    "plan_compression",
]
