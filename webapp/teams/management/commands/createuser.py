from django.core.management.base import BaseCommand, CommandError

from webapp.teams.models import Role
from webapp.teams.services import do_create_user


class Command(BaseCommand):
    help = "Create a user in a team (the team is created if it does not exist)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--team", required=True, help="team slug, e.g. platform")
        parser.add_argument("--role", choices=Role.values, default=Role.MEMBER)
        parser.add_argument("--password", help="omit to have a password generated and printed once")

    def handle(self, username, team, role, password, **options):
        try:
            user, password_used, team_created = do_create_user(username, team, role, password)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        where = f"new team {team}" if team_created else f"team {team}"
        self.stdout.write(f"Created {user.username} ({role}) in {where}.")
        if not password:
            self.stdout.write(f"Password (shown once): {password_used}")
