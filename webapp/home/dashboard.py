"""What the dashboard shows for a team: recent runs with their outcome, this
month's analysis spend against the budget, and the latest verdicts."""

from webapp.analyses.budget import budget_state
from webapp.analyses.models import Analysis
from webapp.llm.panel import choices
from webapp.runs.models import Run

RECENT_RUNS = 8
RECENT_ANALYSES = 5
# The list columns the dashboard's run table reads.
RUN_FIELDS = ("id", "status", "error", "question", "original_name", "started_at", "created_at", "winner", "models",
              "error_count", "turn_count", "cost_usd")


def dashboard_context(membership) -> dict:
    context = {"membership": membership}
    if membership:
        team = membership.team
        runs = Run.objects.filter(team=team)
        context["run_count"] = runs.count()
        context["recent_runs"] = list(runs.only(*RUN_FIELDS).order_by("-created_at")[:RECENT_RUNS])
        analyses = Analysis.objects.filter(team=team)
        context["analysis_count"] = analyses.count()
        context["recent_analyses"] = list(analyses.select_related("run").order_by("-created_at")[:RECENT_ANALYSES])
        context["budget"] = budget_state(team)
        context["can_write"] = membership.can_write
        context["model_count"] = sum(
            choice.available for group in choices().groups for choice in group.choices
        )
    return context
