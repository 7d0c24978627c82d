"""The `debrief/offline` model: fixed rules over a run's facts, no LLM and no cost."""
