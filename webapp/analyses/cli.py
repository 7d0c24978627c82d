"""What `debrief analyze --yes/--wait` does once the estimate is shown: find or
import the run, queue the analysis as the server's operator, and wait for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.runs import ingest
from webapp.runs.models import Run, RunStatus
from webapp.runs.services import do_import_path
from webapp.teams.models import Team

POLL_SECONDS = 1.0


class CLIError(Exception):
    pass


def run_for(target: str, team_slug: str | None) -> Run:
    """The run with this id, or a folder/archive imported into the team and read now."""
    try:
        run = Run.objects.filter(pk=uuid.UUID(target)).first()
    except ValueError:
        run = None
    if run is not None:
        return run
    run, _ = do_import_path(_team(team_slug), Path(target), enqueue=False)
    if run.status != RunStatus.READY:
        ingest.ingest_run(run.pk)
        run.refresh_from_db()
    if run.status != RunStatus.READY:
        raise CLIError(f"{target} could not be read: {run.error}")
    return run


def _team(slug: str | None) -> Team:
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise CLIError(f"No team {slug!r}.")
        return team
    teams = list(Team.objects.all()[:2])
    if len(teams) != 1:
        raise CLIError("Name the team the run goes into with --team SLUG.")
    return teams[0]


def start(run: Run, model: str, compression: str) -> Analysis:
    return services.do_request_analysis(run, services.OPERATOR, model, compression)


def wait(analysis: Analysis, timeout: float, on_stage: Callable[[str], None], sleep=time.sleep) -> Analysis:
    """Polls the row until it is finished; a worker (`debrief serve`) does the work."""
    deadline = time.monotonic() + timeout
    seen = None
    while True:
        analysis.refresh_from_db()
        if (analysis.status, analysis.stage) != seen:
            seen = (analysis.status, analysis.stage)
            on_stage(f"{analysis.get_status_display()}: {analysis.get_stage_display()}")
        if analysis.is_finished:
            return analysis
        if time.monotonic() >= deadline:
            raise CLIError(f"Still {analysis.status} after {timeout:.0f} s; is a worker running (`debrief serve`)?")
        sleep(POLL_SECONDS)
