"""Team and membership actions, called by views, commands and tests alike."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.text import slugify

from webapp.audit.models import Action
from webapp.audit.services import record
from webapp.teams.access import require_owner
from webapp.teams.models import Membership, Role, Team
from webapp.teams.retention import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS

GENERATED_PASSWORD_BYTES = 12


@transaction.atomic
def do_create_user(username: str, team_slug: str, role: str = Role.MEMBER, password: str | None = None):
    """Create a user in a team (creating the team if new). Returns (user, password,
    team_created); the password is generated when none is given."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise ValueError(f"A user named {username!r} already exists.")
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
    slug = slugify(team_slug)
    if not slug or slug != team_slug:
        raise ValueError(f"{team_slug!r} is not a valid team slug (lowercase letters, digits, hyphens).")
    password = password or secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    user = User.objects.create_user(username=username, password=password)
    team, team_created = Team.objects.get_or_create(slug=slug, defaults={"name": slug.replace("-", " ").title()})
    Membership.objects.create(team=team, user=user, role=role)
    return user, password, team_created


@transaction.atomic
def do_add_member(team: Team, username: str, role: str, actor=None) -> Membership:
    User = get_user_model()
    try:
        user = User.objects.get(username=username)
    except User.DoesNotExist:
        raise ValueError(f"No user named {username!r}.") from None
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created:
        raise ValueError(f"{username} is already in {team.name}.")
    record(team, actor, Action.MEMBER_ADDED, username, role=role)
    return membership


@transaction.atomic
def do_change_role(membership: Membership, role: str, actor=None) -> None:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    if membership.role == Role.OWNER and role != Role.OWNER and _is_last_owner(membership):
        raise ValueError("A team needs at least one owner.")
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    if before != role:
        record(membership.team, actor, Action.MEMBER_ROLE_CHANGED, membership.user.get_username(), before=before, after=role)


@transaction.atomic
def do_remove_member(membership: Membership, actor=None) -> None:
    if membership.role == Role.OWNER and _is_last_owner(membership):
        raise ValueError("A team needs at least one owner.")
    record(membership.team, actor, Action.MEMBER_REMOVED, membership.user.get_username(), role=membership.role)
    membership.delete()


def _is_last_owner(membership: Membership) -> bool:
    return not Membership.objects.filter(team=membership.team, role=Role.OWNER).exclude(pk=membership.pk).exists()


@transaction.atomic
def do_set_retention(team: Team, actor, days: int | None, *, use_default: bool = False) -> Team:
    """Keep the team's runs `days` days (None: forever), or, with `use_default`,
    follow DEBRIEF_RETENTION_DAYS. Owners only."""
    if actor is not None:
        require_owner(actor, team)
    if days is not None and not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"Retention is from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS} days, or forever.")
    team = Team.objects.select_for_update().get(pk=team.pk)
    before = team.effective_retention_days, team.retention_set
    team.retention_days, team.retention_set = (None, False) if use_default else (days, True)
    team.save(update_fields=["retention_days", "retention_set"])
    if (team.effective_retention_days, team.retention_set) != before:
        # None: kept forever.
        record(team, actor, Action.RETENTION_CHANGED, "retention", before_days=before[0], after_days=team.effective_retention_days,
               **({"server_default": True} if use_default else {}))
    return team
