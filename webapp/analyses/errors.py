"""Why an analysis is refused before it starts. `code` is what the API returns in
`error`; the message gives the numbers a person needs to decide what to do.
A run that is not ready is `webapp.runs.errors.RunNotReady`, the one class for
estimates and analyses alike."""

from __future__ import annotations

from webapp.core.refusals import Refused


class AnalysisRefused(Refused):
    pass


class Cancelled(Exception):
    """Raised between steps when someone asked to stop the analysis."""
