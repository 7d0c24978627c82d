"""`debrief demo`: the demo team and user for `make run`, idempotent. The password
is generated once, kept in the data directory and printed on every start."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from webapp.teams.models import Membership, Role, Team

DEMO_USERNAME = "demo"
DEMO_TEAM_SLUG = "demo"


class Command(BaseCommand):
    help = "Create (or refresh) the demo team and user and print the login."

    def handle(self, **options):
        password_file = settings.DATA_DIR / "demo-password"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(12))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=DEMO_USERNAME)
        user.set_password(password)
        user.save()
        team, _ = Team.objects.get_or_create(slug=DEMO_TEAM_SLUG, defaults={"name": "Demo"})
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.OWNER})
        for line in load_demo_data(team):
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"Log in as {DEMO_USERNAME} / {password}"))


def load_demo_data(team) -> list[str]:
    """Import the bundled sample runs (every `log_*` folder under
    DEBRIEF_DEMO_RUNS_DIR) into the demo team and ingest them here and now, so
    they are ready on the first page load. Runs already there are skipped (same
    SHA-256)."""
    from webapp.runs.ingest import ingest_run
    from webapp.runs.models import RunSource, RunStatus
    from webapp.runs.services import UploadRejected, do_import_folder

    folders = sorted(path for path in settings.DEBRIEF_DEMO_RUNS_DIR.glob("*/*/log_*") if path.is_dir())
    lines, added = [], 0
    for folder in folders:
        try:
            run, created = do_import_folder(team, folder, source=RunSource.DEMO, enqueue=False)
        except UploadRejected as exc:
            lines.append(f"Sample run {folder.name} skipped: {exc}")
            continue
        if created or run.status == RunStatus.QUEUED:  # queued: an earlier `demo` was interrupted
            run = ingest_run(run.pk) or run
            added += created
            if run.error:
                lines.append(f"Sample run {folder.name} failed: {run.error}")
    lines.append(f"Sample runs: {added} imported, {len(folders) - added} already there or skipped ({settings.DEBRIEF_DEMO_RUNS_DIR}).")
    return lines
