"""`debrief runs <action>`: work with MassGen runs from the command line.

Each action is a subparser plus a `handle_<action>` method, so adding one
(`runs import ...`) touches nothing else. `summary` reads a run straight from
disk and never touches the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.massgen import RunFormatError
from analysis.massgen.cli import summary_output
from webapp.runs.ingest import ingest_run
from webapp.runs.services import UploadRejected, do_import_path
from webapp.teams.models import Team


class Command(BaseCommand):
    help = "Work with MassGen runs."
    # `runs summary` must work on a machine with no database and no settings
    # beyond the defaults; system checks would need both.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        summary = actions.add_parser("summary", help="Summarise a run folder or a .zip/.tar.gz/.tgz archive of one.")
        summary.add_argument("path", type=Path, help="a log_YYYYMMDD_HHMMSS_ffffff folder or an archive of one")
        summary.add_argument("--json", action="store_true", help="print the JSON contract (format_version 1) instead of a table")
        imports = actions.add_parser("import", help="Import a run folder or archive on this machine into a team.")
        imports.add_argument("path", type=Path, help="a log_YYYYMMDD_HHMMSS_ffffff folder or a .zip/.tar.gz/.tgz archive of one")
        imports.add_argument("--team", required=True, help="team slug")
        imports.add_argument("--now", action="store_true", help="ingest in this process instead of queueing it for a worker")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_summary(self, *, path: Path, json: bool, **_: Any) -> None:
        try:
            output = summary_output(path, json)
        except RunFormatError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(output, ending="")

    def handle_import(self, *, path: Path, team: str, now: bool, **_: Any) -> None:
        target = Team.objects.filter(slug=team).first()
        if target is None:
            raise CommandError(f"No team with slug {team!r}.")
        try:
            run, created = do_import_path(target, path, enqueue=not now)
        except UploadRejected as exc:
            raise CommandError(str(exc)) from None
        if not created:
            self.stdout.write(f"Already imported as run {run.pk} ({run.status}).")
            return
        if now:
            run = ingest_run(run.pk) or run
        self.stdout.write(f"Run {run.pk}: {run.status}{': ' + run.error if run.error else ''}")
