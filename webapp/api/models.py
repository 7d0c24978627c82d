from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    UPLOAD = "upload", "Upload runs"
    READ = "read", "Read runs"
    FULL = "full", "Full access"


class ApiToken(models.Model):
    """A team's bearer token for the REST API. Only a SHA-256 of the secret is
    stored (the secret is random enough that a slow hash adds nothing); the
    plaintext is shown once when created. `prefix` (e.g. `dbr_upload_`) and
    `last4` let people recognise a token in the list."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    prefix = models.CharField(max_length=20)
    last4 = models.CharField(max_length=4)
    hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.display})"

    def audit_label(self) -> str:
        return f"{self.name or 'token'} ({self.prefix}…{self.last4})"

    def audit_actor(self) -> tuple[str, int, str]:
        """Who this token is in the audit log (webapp.audit.services.describe_actor)."""
        return "token", self.pk, f"token {self.audit_label()}"

    @property
    def display(self) -> str:
        """How the token is shown once its secret is gone: `dbr_read_…a1b2`."""
        return f"{self.prefix}…{self.last4}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
