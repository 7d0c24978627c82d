"""`debrief runs <action>`: work with MassGen runs from the command line.

Each action is a subparser plus a `handle_<action>` method, so adding one
(`runs import ...`) touches nothing else. `summary` reads a run straight from
disk and never touches the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from analysis.massgen import RunFormatError
from analysis.massgen.cli import summary_output
from webapp.runs.ingest import ingest_run
from webapp.runs.models import Run, RunStatus
from webapp.runs.rereads import do_reread_run, stale_runs
from webapp.runs.services import UploadRejected, do_import_path
from webapp.runs.services.retention import do_prune
from webapp.teams.models import Team
from webapp.teams.retention import MAX_RETENTION_DAYS, MIN_PRUNE_DAYS, parse_days


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
        reread = actions.add_parser(
            "reread", help="Read ready runs again from their stored files with today's reader (after an upgrade)."
        )
        reread.add_argument("runs", nargs="*", metavar="RUN", help="run ids")
        which = reread.add_mutually_exclusive_group()
        which.add_argument("--all", action="store_true", help="every ready run")
        which.add_argument("--stale", action="store_true", help="the ready runs an older reader read (unknown figures stored as 0)")
        prune = actions.add_parser("prune", help="Delete a team's runs older than a number of days, with their analyses and files.")
        prune.add_argument("--team", required=True, help="team slug")
        prune.add_argument("--older-than", required=True, metavar="DAYS",
                           help=f"days, {MIN_PRUNE_DAYS} to {MAX_RETENTION_DAYS}; 0 deletes every run created before now")
        prune.add_argument("--dry-run", action="store_true", help="print what would be deleted and delete nothing")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_summary(self, *, path: Path, json: bool, **_: Any) -> None:
        try:
            output = summary_output(path, json)
        except RunFormatError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(output, ending="")

    def handle_reread(self, *, runs: list[str], all: bool, stale: bool, **_: Any) -> None:
        if bool(runs) + all + stale != 1:
            raise CommandError("Give run ids, --all or --stale (one of them).")
        if runs:
            chosen = []
            for key in runs:
                try:
                    chosen.append(Run.objects.get(pk=key))
                except (Run.DoesNotExist, ValidationError):
                    raise CommandError(f"No run with id {key!r}.") from None
        else:
            chosen = stale_runs() if stale else Run.objects.filter(status=RunStatus.READY)
            chosen = list(chosen.order_by("created_at"))
        failed = 0
        for run in chosen:
            try:
                run = do_reread_run(run)
            except RunFormatError as exc:
                failed += 1
                self.stderr.write(f"Run {run.pk}: not re-read, left as it was: {exc}")
                continue
            joined = f", continued by {run.continuations.count()}" if run.continuations.exists() else ""
            self.stdout.write(f"Run {run.pk}: re-read ({run.turn_count} turn{'s' if run.turn_count != 1 else ''}{joined})")
        self.stdout.write(f"{len(chosen) - failed} of {len(chosen)} run{'s' if len(chosen) != 1 else ''} re-read.")
        if failed:
            raise CommandError(f"{failed} run{'s' if failed != 1 else ''} could not be re-read.")

    def handle_prune(self, *, team: str, older_than: str, dry_run: bool, **_: Any) -> None:
        try:
            days = parse_days(older_than, minimum=MIN_PRUNE_DAYS, maximum=MAX_RETENTION_DAYS)
        except ValueError as exc:
            raise CommandError(f"--older-than: {exc}") from None
        target = _team(team)
        pruned = do_prune(target, days, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        for item in pruned:
            self.stdout.write(f"{verb} run {item.id}  {item.created_at:%Y-%m-%d %H:%M}  {item.name}")
        self.stdout.write(f"{target.slug}: {verb} {len(pruned)} run{'s' if len(pruned) != 1 else ''} older than {days} days.")

    def handle_import(self, *, path: Path, team: str, now: bool, **_: Any) -> None:
        target = _team(team)
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


def _team(slug: str) -> Team:
    target = Team.objects.filter(slug=slug).first()
    if target is None:
        raise CommandError(f"No team with slug {slug!r}.")
    return target
