"""The latest verdict of each run in a list, for the runs list's verdict column
(registered as the row facts `run_list.verdicts`, webapp/core/slots.py)."""

from __future__ import annotations

from webapp.analyses.models import Analysis, Status


def latest_verdicts(runs) -> dict:
    """Run id -> its newest finished-and-done analysis, in one query."""
    ids = [run.pk for run in runs]
    latest: dict = {}
    rows = (Analysis.objects.filter(run_id__in=ids, status=Status.DONE)
            .only("id", "run_id", "verdict", "model", "answered_by", "created_at").order_by("run_id", "-created_at"))
    for analysis in rows:
        latest.setdefault(analysis.run_id, analysis)
    return latest
