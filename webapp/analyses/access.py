"""Who may see an analysis: members of its team (teams.access); anyone else gets
a 404. Views of this app and the apps above it use this, not each other."""

from __future__ import annotations

from webapp.analyses.models import Analysis
from webapp.teams.access import get_for_member


def analysis_for_member(request, pk) -> Analysis:
    return get_for_member(Analysis.objects.select_related("run", "created_by"), request, pk=pk)
