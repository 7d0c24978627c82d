"""The latest verdict of each run in a list, for the runs list and the dashboard.
The runs app renders those pages but may not import analyses, so its templates
load this library (the templates-reach-up wart of docs/architecture.md)."""

from __future__ import annotations

from django import template

from webapp.analyses.models import Analysis, Status

register = template.Library()


@register.simple_tag
def latest_verdicts(runs) -> dict:
    """Run id -> its newest finished-and-done analysis, in one query."""
    ids = [run.pk for run in runs]
    latest: dict = {}
    rows = (Analysis.objects.filter(run_id__in=ids, status=Status.DONE)
            .only("id", "run_id", "verdict", "model", "answered_by", "created_at").order_by("run_id", "-created_at"))
    for analysis in rows:
        latest.setdefault(analysis.run_id, analysis)
    return latest


@register.filter
def for_run(verdicts: dict, run_id):
    return (verdicts or {}).get(run_id)
