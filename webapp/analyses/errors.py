"""Why an analysis is refused before it starts. `code` is what the API returns in
`error`; the message gives the numbers a person needs to decide what to do."""

from __future__ import annotations


class AnalysisRefused(Exception):
    code = "refused"

    def __init__(self, message: str, code: str | None = None, numbers: dict[str, float] | None = None):
        super().__init__(message)
        self.code = code or self.code
        self.numbers = numbers or {}  # the figures behind a refusal, for programs (the API adds them)


class RunNotReady(AnalysisRefused):
    code = "run_not_ready"


class Cancelled(Exception):
    """Raised between steps when someone asked to stop the analysis."""
