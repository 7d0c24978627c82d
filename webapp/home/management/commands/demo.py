"""`debrief demo`: the demo team and user for `make run`, idempotent. The password
is generated once, kept in the data directory and set only when the user is
created: `make run` runs this on every start, and setting it again (even to the
same value: a new salt) would log every browser session out."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand

from webapp.runs.ingest import ingest_run
from webapp.runs.models import RunSource, RunStatus
from webapp.runs.services import UploadRejected, do_import_folder
from webapp.teams.models import Membership, Role, Team

DEMO_USERNAME = "demo"
DEMO_TEAM_SLUG = "demo"


class Command(BaseCommand):
    help = "Create (or refresh) the demo team and user and print the login."

    def handle(self, **options):
        password = demo_password()
        User = get_user_model()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        created = user is None
        if created:
            user = User.objects.create_user(DEMO_USERNAME, password=password)
        team, _ = Team.objects.get_or_create(slug=DEMO_TEAM_SLUG, defaults={"name": "Demo"})
        Membership.objects.get_or_create(team=team, user=user, defaults={"role": Role.OWNER})
        for line in load_demo_data(team):
            self.stdout.write(line)
        # hashers.check_password, not user.check_password: the latter may re-hash
        # (and so save) the password, which would log sessions out after all.
        if created or check_password(password, user.password):
            self.stdout.write(self.style.SUCCESS(f"Log in as {DEMO_USERNAME} / {password}"))
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Log in as {DEMO_USERNAME} with the password set for it (left unchanged); "
                f"`debrief changepassword {DEMO_USERNAME}` sets a new one."
            ))


def demo_password() -> str:
    """The demo user's first password, generated once into the data directory."""
    path = settings.DATA_DIR / "demo-password"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def load_demo_data(team) -> list[str]:
    """Import the bundled sample runs (every `log_*` folder under
    DEBRIEF_DEMO_RUNS_DIR) into the demo team and ingest them here and now, so
    they are ready on the first page load. Runs already there are skipped (same
    SHA-256)."""
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
