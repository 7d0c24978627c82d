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
    """Import the bundled sample runs into the demo team (filled in by the runs app)."""
    return []
