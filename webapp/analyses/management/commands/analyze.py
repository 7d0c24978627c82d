"""`debrief analyze RUN_ID|PATH --model M [--estimate-only] [--json] [--yes] [--wait]`.

Prints what analysing the run would cost, then asks before starting the analysis
(--yes starts it without asking; --wait waits for the report and prints it). For
a PATH (a `log_*` folder or an archive) the estimate reads the run directly, with
no database; running it imports the run first (into --team).
Without --model, a terminal gets a numbered pick of the usable models with this
run's estimate, fit and capabilities (webapp/analyses/cli.py:pick_model); without
a terminal the configured default is used, and with none that is an error."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analysis.registry import DEFAULT_MODEL_ENV, RegistryError
from analysis.registry.cli import render_estimate
from webapp.llm.registry import get_registry
from webapp.llm.services import (
    COMPRESSION_CHOICES,
    DEFAULT_COMPRESSION,
    RunMaterial,
    estimate_material,
    path_material,
    run_material,
)
from webapp.analyses import cli
from webapp.core.refusals import Refused
from webapp.analyses.serializers import analysis_json
from webapp.runs.errors import RunNotReady
from webapp.runs.models import Run
from webapp.runs.services import UploadRejected

class Command(BaseCommand):
    help = "Estimate the analysis of a run with a model, then (after asking, or with --yes) run it."

    def add_arguments(self, parser):
        parser.add_argument("target", metavar="RUN_ID|PATH", help="a run's id, or a log_* folder or archive on disk")
        parser.add_argument("--model", help="the analysis model; default: the configured default model")
        parser.add_argument("--compression", choices=COMPRESSION_CHOICES, default=DEFAULT_COMPRESSION,
                            help="what to do if the run does not fit the model (default: auto)")
        parser.add_argument("--estimate-only", action="store_true", help="print the estimate and stop")
        parser.add_argument("--json", action="store_true", help="print the estimate as JSON (the API's shape)")
        parser.add_argument("--yes", action="store_true", help="start the analysis without asking")
        parser.add_argument("--wait", action="store_true", help="wait for the report (a worker must be running)")
        parser.add_argument("--team", help="for a PATH: the team the run is imported into (default: the only team)")
        parser.add_argument("--timeout", type=float, default=settings.CELERY_TASK_TIME_LIMIT, help="seconds --wait waits")

    def handle(self, *args, target, model, compression, estimate_only, json, **options):
        material = _material(target)
        try:
            model = model or self._choose(material, compression)
            estimate = estimate_material(material, model, compression)
        except (RegistryError, RunNotReady) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(_json(estimate) if json else render_estimate(estimate))
        if not estimate_only:
            self._analyse(target, estimate, compression, json, **options)

    def _analyse(self, target: str, estimate: dict, compression: str, as_json: bool, *, yes, wait, team, timeout, **_) -> None:
        total = estimate["total_usd"]
        if not yes:
            if not sys.stdin.isatty():
                raise CommandError("Add --yes to start the analysis: there is no terminal to confirm it on.")
            if input(f"Analyse with {estimate['model']} for about ${total:.4f}? [y/N] ").strip().lower() not in ("y", "yes"):
                self.stderr.write("Not started.")
                return
        try:
            analysis = cli.start(cli.run_for(target, team), estimate["model"], compression)
            self.stderr.write(f"Queued: /analyses/{analysis.pk}/")
            if not wait:
                return
            analysis = cli.wait(analysis, timeout, self.stderr.write)
        except (cli.CLIError, Refused, UploadRejected) as error:
            raise CommandError(str(error)) from error
        if as_json:
            self.stdout.write(_json(analysis_json(analysis, analysis.get_absolute_url())))
        elif analysis.status == "done":
            self.stdout.write(f"Verdict: {analysis.verdict}, {len(analysis.findings)} findings, ${analysis.cost_usd:.4f} "
                              f"(estimate ${analysis.estimate_usd:.4f}), answered by {analysis.answered_by}\n")
            self.stdout.write(analysis.report_markdown)
        if analysis.status != "done":
            raise CommandError(f"The analysis {analysis.status}: {analysis.error}")

    def _choose(self, material: RunMaterial, compression: str) -> str:
        """On a terminal, a numbered pick of the usable models with this run's estimate;
        otherwise the configured default, as before."""
        if sys.stdin.isatty():
            try:
                return cli.pick_model(material, compression, self.stdout.write, self.stderr.write)
            except cli.CLIError as error:
                raise CommandError(str(error)) from error
        default = _configured_default()
        if default:
            return default
        raise CommandError(
            f"Name a model with --model (no default is configured: set {DEFAULT_MODEL_ENV}). "
            "`debrief models list --available` shows the choices."
        )


def _material(target: str) -> RunMaterial:
    try:
        run = Run.objects.filter(pk=uuid.UUID(target)).first()
    except ValueError:
        run = None
    if run is not None:
        try:
            return run_material(run)
        except RunNotReady as error:
            raise CommandError(str(error)) from error
    path = Path(target)
    if not path.exists():
        raise CommandError(f"{target} is neither a run id nor a folder or archive on disk.")
    return path_material(path)


def _configured_default() -> str | None:
    """A default someone chose (environment or settings), not the registry's fallback."""
    return get_registry().config.env_value(DEFAULT_MODEL_ENV) or settings.DEBRIEF_ANALYSIS_MODEL


def _json(value) -> str:
    return json.dumps(value, indent=2)
