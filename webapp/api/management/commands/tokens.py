"""`debrief tokens create|list|revoke`: API tokens from the shell. `create`
prints the token alone on stdout (so `TOKEN=$(debrief tokens create …)`
works) and what it is on stderr; it is never shown again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webapp.api import tokens
from webapp.api.models import ApiToken, Scope
from webapp.teams.models import Team


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--team", required=True, help="team slug")
        create.add_argument("--scope", required=True, choices=Scope.values)
        create.add_argument("--name", default="")
        listing = actions.add_parser("list", help="List a team's tokens (never their secrets).")
        listing.add_argument("--team", required=True, help="team slug")
        revoke = actions.add_parser("revoke", help="Revoke a token by id.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, *, team: str, scope: str, name: str, **_: Any) -> None:
        try:
            token, plaintext = tokens.do_create_token(_team(team), scope, name)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Token {token.pk} ({scope}) for team {team}. It is shown once; store it now:")
        self.stdout.write(plaintext)

    def handle_list(self, *, team: str, **_: Any) -> None:
        for token in ApiToken.objects.filter(team=_team(team)):
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never used"
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            self.stdout.write(f"{token.pk}\t{token.display}\t{token.scope}\t{token.name or '-'}\t{used}\t{state}")

    def handle_revoke(self, *, id: int, **_: Any) -> None:
        token = ApiToken.objects.filter(pk=id).first()
        if token is None:
            raise CommandError(f"No token with id {id}.")
        tokens.do_revoke_token(token)
        self.stdout.write(f"Token {id} ({token.display}) revoked.")


def _team(slug: str) -> Team:
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise CommandError(f"No team with slug {slug!r}.")
    return team
