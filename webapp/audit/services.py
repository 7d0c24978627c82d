"""Recording into the audit log and reading it back. `record` is called by the
`do_*` service function of each action, inside its transaction, so an action
that rolls back leaves no entry and one that commits always has one."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from webapp.audit.models import Action, ActorKind, AuditEntry

AUDIT_PAGE_SIZE = 50
MAX_AUDIT_PAGE_SIZE = 200
MAX_ACTOR_NAME_CHARS = 150
MAX_TARGET_CHARS = 255
# Who acts when no person or token does: the daily retention task.
SYSTEM = "system"


def describe_actor(actor) -> tuple[str, int | None, str]:
    """(kind, id, name) of whoever acts: a user, anything with an
    `audit_actor()` (API tokens, from an app above this one), SYSTEM, or None
    for a command run on the server."""
    if actor is None:
        return ActorKind.OPERATOR, None, "operator"
    if actor is SYSTEM:
        return ActorKind.SYSTEM, None, "system"
    if isinstance(actor, AbstractBaseUser):
        return ActorKind.USER, actor.pk, actor.get_username()
    return actor.audit_actor()


def record(team, actor, action: Action, target: str = "", **details) -> AuditEntry:
    """Append one entry; call it inside the action's transaction."""
    kind, actor_id, name = describe_actor(actor)
    return AuditEntry.objects.create(
        team_id=team.pk if hasattr(team, "pk") else team,
        actor_kind=kind,
        actor_id=actor_id,
        actor_name=name[:MAX_ACTOR_NAME_CHARS],
        action=action,
        target=target[:MAX_TARGET_CHARS],
        details=details,
    )


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""

    @classmethod
    def parse(cls, query, *, blank_action_is_any: bool = True) -> "AuditFilter":
        """From a query dict; an unknown action or an overlong actor is a ValueError saying so.
        A blank action is any action for the page's form ("Any action"); the API, whose
        parameters are read or refused (docs/api.md), passes False."""
        actor = (query.get("actor") or "").strip()
        if len(actor) > MAX_ACTOR_NAME_CHARS:
            raise ValueError(f"actor has at most {MAX_ACTOR_NAME_CHARS} characters.")
        given = query.get("action")
        action = (given or "").strip()
        if (action and action not in Action.values) or (given is not None and not action and not blank_action_is_any):
            raise ValueError(f"Unknown action {action!r}; use one of {', '.join(Action.values)}.")
        return cls(actor, action)


def team_entries(team, chosen: AuditFilter = AuditFilter()) -> QuerySet:
    """The team's entries, newest first; never another team's."""
    entries = AuditEntry.objects.filter(team_id=team.pk)
    if chosen.actor:
        entries = entries.filter(actor_name=chosen.actor)
    if chosen.action:
        entries = entries.filter(action=chosen.action)
    return entries.order_by("-id")


def team_actors(team) -> list[str]:
    return list(AuditEntry.objects.filter(team_id=team.pk).order_by("actor_name").values_list("actor_name", flat=True).distinct())


def page_of(entries: QuerySet, number, size: int = AUDIT_PAGE_SIZE) -> Page:
    return Paginator(entries, size).get_page(number)


def entry_json(entry: AuditEntry) -> dict:
    return {
        "id": entry.pk,
        "at": entry.at.isoformat().replace("+00:00", "Z"),
        "actor": {"kind": entry.actor_kind, "id": entry.actor_id, "name": entry.actor_name},
        "action": entry.action,
        "target": entry.target,
        "details": entry.details,
    }
