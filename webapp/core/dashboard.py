"""What the dashboard shows for a team. Later apps add their figures here."""

from webapp.runs.models import Run, RunStatus

RECENT_RUNS = 5


def dashboard_context(membership) -> dict:
    context = {"membership": membership}
    if membership:
        runs = Run.objects.filter(team=membership.team)
        context["run_count"] = runs.count()
        context["recent_runs"] = list(runs.filter(status=RunStatus.READY).defer("summary").order_by("-created_at")[:RECENT_RUNS])
    return context
