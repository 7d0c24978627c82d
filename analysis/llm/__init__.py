"""Debrief's LLM layer: one call (client), one compaction (compact), token counts,
budgets, usage and cost, summarisation, and the errors the task layer acts on
(errors.TRANSIENT_ERRORS for Celery's autoretry_for). Pure Python, no Django.

Import from the submodules: this package imports nothing itself, so that
analysis.llm.pricing can use llm.budget without pulling in the client."""
