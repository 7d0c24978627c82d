"""API tokens: created, shown once, stored as a SHA-256, revoked.

A token reads `dbr_<scope>_<random>`, so whoever finds one in a CI log can
tell what it allows. Scopes: `upload` may only POST runs, `read` may only
GET, `full` may do everything."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webapp.api.models import ApiToken, Scope
from webapp.audit.models import Action
from webapp.audit.services import record

TOKEN_PREFIX = "dbr_"
TOKEN_RANDOM_BYTES = 32
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION_SECONDS = 60
MAX_NAME_CHARS = 100


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", errors="replace")).hexdigest()


@transaction.atomic
def do_create_token(team, scope: str, name: str = "", user=None) -> tuple[ApiToken, str]:
    """A new token for `team`; returns it and its plaintext, which is never stored."""
    if scope not in Scope.values:
        raise ValueError(f"Unknown scope {scope!r}; use one of {', '.join(Scope.values)}.")
    name = name.strip()
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(f"A token name has at most {MAX_NAME_CHARS} characters.")
    prefix = f"{TOKEN_PREFIX}{scope}_"
    raw = prefix + secrets.token_urlsafe(TOKEN_RANDOM_BYTES)
    token = ApiToken.objects.create(
        team=team, name=name, scope=scope, prefix=prefix, last4=raw[-4:], hash=hash_token(raw), created_by=user
    )
    record(team, user, Action.TOKEN_CREATED, token.audit_label(), scope=scope)
    return token, raw


@transaction.atomic
def do_revoke_token(token: ApiToken, user=None) -> None:
    """`user`: who revokes it, for the audit log (None: a command on the server)."""
    if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        record(token.team, user, Action.TOKEN_REVOKED, token.audit_label(), scope=token.scope)


def authenticate(raw: str) -> ApiToken | None:
    """The active token with this plaintext, its last use recorded; else None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("team").filter(hash=hash_token(raw), revoked_at__isnull=True).first()
    if token is not None:
        now = timezone.now()
        stale = now - timedelta(seconds=LAST_USED_RESOLUTION_SECONDS)
        ApiToken.objects.filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=stale), pk=token.pk).update(last_used_at=now)
    return token
