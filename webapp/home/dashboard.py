"""What the dashboard shows for a team."""

from webapp.analyses.models import Analysis
from webapp.llm.panel import choices
from webapp.runs.models import Run, RunStatus

RECENT_RUNS = 5


def dashboard_context(membership) -> dict:
    context = {"membership": membership}
    if membership:
        runs = Run.objects.filter(team=membership.team)
        context["run_count"] = runs.count()
        context["recent_runs"] = list(runs.filter(status=RunStatus.READY).defer("summary").order_by("-created_at")[:RECENT_RUNS])
        context["analysis_count"] = Analysis.objects.filter(team=membership.team).count()
        context["model_count"] = sum(
            choice.available for group in choices().groups for choice in group.choices
        )
    return context
