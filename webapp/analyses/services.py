"""What people and programs do with analyses: request one, cancel it, share it.
Views, the API, commands and tests all call these; none of them checks access
on its own, so the rules live here once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from analysis.registry import ModelUnavailable, RegistryError, UnknownModel
from webapp.analyses.budget import budget_state, check_budget, format_usd
from webapp.analyses.errors import AnalysisRefused
from webapp.analyses.models import Analysis, ShareLink, Status
from webapp.analyses.requests import AnalysisRequest
from webapp.analyses.tasks import run_analysis
from webapp.api.models import ApiToken
from webapp.audit.models import Action
from webapp.audit.services import record
from webapp.llm.compression_preview import can_run, expected_total_usd
from webapp.llm.registry import get_registry
from webapp.llm.services import DEFAULT_COMPRESSION, estimate_for_run
from webapp.runs.errors import RunNotReady
from webapp.runs.models import Attempt, Run, RunStatus
from webapp.teams.access import membership_for, require_write

SHARE_TOKEN_BYTES = 32
SHARE_HINT_CHARS = 4
MAX_SHARE_DAYS = 365
# Who acts from a management command: whoever runs commands on the server already
# has its database, so no team role is checked.
OPERATOR = None


def do_request_analysis(
    run: Run,
    actor: AbstractBaseUser | ApiToken | None,
    model_name: str,
    compression: str = DEFAULT_COMPRESSION,
    max_cost_usd: Decimal | None = None,
    attempt: Attempt | None = None,
) -> Analysis:
    """`do_analyse` for callers holding the parts (commands, tests); `attempt`
    None analyses the digest's default attempt."""
    return do_analyse(run, actor, AnalysisRequest(model_name, compression, max_cost_usd), attempt)


def do_analyse(
    run: Run, actor: AbstractBaseUser | ApiToken | None, request: AnalysisRequest, attempt: Attempt | None = None
) -> Analysis:
    """Check, estimate, reserve the estimate against the budget and queue the job.
    `actor` is a user, an API token or OPERATOR; `request` was validated when it
    was made; `attempt` overrides the request's turn/attempt. Raises
    AnalysisRefused (with a `code`) when it cannot run."""
    user, token = _actor(run, actor)
    if run.status != RunStatus.READY:
        raise RunNotReady.needed_for(run, "it can be analysed once it is ready")
    if attempt is None:
        attempt = request.attempt_of(run)
    elif attempt.run_id != run.pk:
        raise AnalysisRefused("That attempt belongs to another run.", "bad_attempt")
    model_name, compression, max_cost_usd = request.model, request.compression, request.max_cost_usd
    try:
        model = get_registry().require_available(model_name)
    except UnknownModel as error:
        raise AnalysisRefused(str(error), "unknown_model") from error
    except ModelUnavailable as error:
        raise AnalysisRefused(str(error), "model_unavailable") from error
    try:
        estimate = estimate_for_run(run, model.name, attempt, compression)
    except RegistryError as error:  # e.g. the configured summariser became unavailable
        raise AnalysisRefused(f"Cannot estimate this analysis: {error}", "model_unavailable") from error
    if not can_run(estimate):
        raise AnalysisRefused(estimate["compression"]["reason"], "does_not_fit")
    # With compression, the expected total includes the compression calls.
    estimate_usd = Decimal(str(expected_total_usd(estimate)))
    if not estimate.get("price_known", True) and (max_cost_usd is not None or budget_state(run.team).limit is not None):
        # Its $0 would pass any limit: a cost limit needs a price to check against.
        limit = "max_cost_usd" if max_cost_usd is not None else "this team's monthly budget"
        raise AnalysisRefused(f"{estimate['price_note']} Until then {limit} cannot be checked.", "price_unknown")
    if max_cost_usd is not None and estimate_usd > max_cost_usd:
        raise AnalysisRefused(
            f"The estimate {format_usd(estimate_usd)} exceeds max_cost_usd {format_usd(max_cost_usd)}.",
            "over_max_cost",
            {"estimate_usd": float(estimate_usd), "max_cost_usd": float(max_cost_usd)},
        )
    with transaction.atomic():
        check_budget(run.team, estimate_usd)
        analysis = Analysis.objects.create(
            team=run.team,
            run=run,
            attempt=attempt,
            created_by=user,
            created_by_token=token,
            model=model.name,
            current_model=model.name,
            compression=compression,
            max_cost_usd=max_cost_usd,
            estimate=estimate,
            estimate_usd=estimate_usd,
        )
        record(run.team, actor, Action.ANALYSIS_REQUESTED, f"analysis {analysis.pk}", run=str(run.pk), model=model.name,
               estimate_usd=str(estimate_usd))
        # robust: with the broker down the analysis stays queued and requeue_stalled_analyses sends it later.
        transaction.on_commit(lambda: enqueue(analysis.pk), robust=True)
    return analysis


def enqueue(analysis_id) -> None:
    run_analysis.delay(str(analysis_id))


def _actor(run: Run, actor) -> tuple[AbstractBaseUser | None, ApiToken | None]:
    if actor is OPERATOR:
        return None, None
    if isinstance(actor, ApiToken):
        if actor.team_id != run.team_id or not actor.is_active:
            raise PermissionDenied("This token belongs to another team.")
        return None, actor
    require_write(actor, run.team)
    return actor, None


@transaction.atomic
def do_cancel(analysis: Analysis, actor: AbstractBaseUser | ApiToken) -> Analysis:
    """A queued analysis stops at once; a running one at its next step (a call in
    flight finishes, and is paid for)."""
    _actor(analysis.run, actor)
    now = timezone.now()
    stopped = Analysis.objects.filter(pk=analysis.pk, status=Status.QUEUED).update(
        status=Status.CANCELLED, cancel_requested=True, error="Cancelled before it started.", finished_at=now
    )
    asked = stopped or Analysis.objects.filter(pk=analysis.pk, status=Status.RUNNING, cancel_requested=False).update(cancel_requested=True)
    if asked:
        record(analysis.team, actor, Action.ANALYSIS_CANCELLED, f"analysis {analysis.pk}", run=str(analysis.run_id),
               was="queued" if stopped else "running")
    analysis.refresh_from_db()
    return analysis


def share_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def do_create_share(analysis: Analysis, user, expires_in_days: int | None = None) -> tuple[ShareLink, str]:
    """The link and its token. Only the token's hash is stored, so a copy of the
    database opens no report; the token is shown once, when the link is made."""
    require_write(user, analysis.team)
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_SHARE_DAYS:
        raise ValueError(f"A link expires after 1 to {MAX_SHARE_DAYS} days, or never.")
    token = secrets.token_urlsafe(SHARE_TOKEN_BYTES)
    link = ShareLink.objects.create(
        team=analysis.team,
        analysis=analysis,
        token_hash=share_token_hash(token),
        hint=token[-SHARE_HINT_CHARS:],
        created_by=user,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    record(analysis.team, user, Action.SHARE_CREATED, f"share …{link.hint} of analysis {analysis.pk}", expires_in_days=expires_in_days)
    return link, token


@transaction.atomic
def do_revoke_share(link: ShareLink, user) -> None:
    """Owners revoke any link of their team; members the links they made."""
    membership = membership_for(user, link.team)
    if not (membership.is_owner or (membership.can_write and link.created_by_id == user.pk)):
        raise PermissionDenied("Only team owners and the link's creator can revoke it.")
    if ShareLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        record(link.team, user, Action.SHARE_REVOKED, f"share …{link.hint} of analysis {link.analysis_id}")


def active_share(token: str) -> ShareLink | None:
    link = ShareLink.objects.select_related("analysis__run").filter(token_hash=share_token_hash(token)).first()
    return link if link and link.is_active() else None
