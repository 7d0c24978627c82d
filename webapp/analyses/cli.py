"""What `debrief analyze --yes/--wait` does once the estimate is shown: find or
import the run, queue the analysis as the server's operator, and wait for it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path

from webapp.analyses import services
from webapp.analyses.models import Analysis
from webapp.analyses.requests import AnalysisRequest
from webapp.llm.choice import render_choices, run_choices
from webapp.llm.services import RunMaterial
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


def pick_model(material: RunMaterial, compression: str, write: Callable[[str], None],
               complain: Callable[[str], None], ask: Callable[[str], str] | None = None) -> str:
    """The terminal's model choice: the usable models with this run's estimate, fit and
    capabilities (recommended and cheapest-that-fits first and marked), then a number."""
    ask = ask or input  # looked up now, so a test's patched input() is used
    choices = run_choices(material, compression)
    if not choices:
        raise CLIError("No usable models: `debrief models list` says what to set.")
    write(render_choices(choices))
    while True:
        answer = ask(f"Model number (1-{len(choices)}, Enter for 1): ").strip() or "1"
        if answer.isdigit() and 1 <= int(answer) <= len(choices):
            return choices[int(answer) - 1].name
        complain(f"Type a number from 1 to {len(choices)}.")


def start(run: Run, model: str, compression: str) -> Analysis:
    return services.do_analyse(run, services.OPERATOR, AnalysisRequest(model, compression))


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
