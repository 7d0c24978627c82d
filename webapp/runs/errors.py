"""Refusals about a run's state, raised by the apps that need a ready run."""

from __future__ import annotations

from webapp.core.refusals import Refused


class RunNotReady(Refused):
    """The run has not been ingested (or ingest failed): there is nothing to estimate or analyse."""

    code = "run_not_ready"
    status = 409

    @classmethod
    def needed_for(cls, run, purpose: str) -> RunNotReady:
        return cls(f"The run is {run.get_status_display().lower()}; {purpose}.")
