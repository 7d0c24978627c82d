"""The audit log: who did what in a team, and when. Append-only.

An entry outlives what it names (a deleted run, a removed member, a revoked
token), so it keeps ids and names as plain values rather than foreign keys; that
also keeps this app at the bottom, under `teams`, so every app can record into it."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    RUN_UPLOADED = "run.uploaded", "Run uploaded"
    RUN_IMPORTED = "run.imported", "Run imported"
    RUN_DELETED = "run.deleted", "Run deleted"
    RUNS_PRUNED = "runs.pruned", "Runs pruned"
    ANALYSIS_REQUESTED = "analysis.requested", "Analysis requested"
    ANALYSIS_CANCELLED = "analysis.cancelled", "Analysis cancelled"
    SHARE_CREATED = "share.created", "Share link created"
    SHARE_REVOKED = "share.revoked", "Share link revoked"
    TOKEN_CREATED = "token.created", "API token created"
    TOKEN_REVOKED = "token.revoked", "API token revoked"
    MEMBER_ADDED = "member.added", "Member added"
    MEMBER_REMOVED = "member.removed", "Member removed"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member role changed"
    BUDGET_CHANGED = "budget.changed", "Budget changed"
    RETENTION_CHANGED = "retention.changed", "Retention changed"


class ActorKind(models.TextChoices):
    USER = "user", "User"
    TOKEN = "token", "API token"
    OPERATOR = "operator", "Operator (command line)"
    SYSTEM = "system", "System"


class AppendOnly(Exception):
    """An audit entry is never changed or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnly("Audit entries are never changed.")

    def delete(self):
        raise AppendOnly("Audit entries are never deleted.")


class AuditEntry(models.Model):
    # Plain ids, not foreign keys: see the module docstring.
    team_id = models.BigIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices)
    target = models.CharField(max_length=255, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        # Insertion order is time order (ids only grow), and ids page without ties.
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["team_id", "-id"], name="audit_team_id"),
            models.Index(fields=["team_id", "action", "-id"], name="audit_team_action"),
            models.Index(fields=["team_id", "actor_name", "-id"], name="audit_team_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnly("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit entries are never deleted.")
