"""Deleting runs past their team's retention: by the daily task, for every team
that keeps runs a limited time, and by `debrief runs prune`. Each run goes
through `do_delete_run`, so its analyses, conversations, share links and stored
files go with it exactly as when a person deletes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from webapp.audit.models import Action
from webapp.audit.services import SYSTEM, record
from webapp.runs.models import Run
from webapp.runs.services.runs import do_delete_run
from webapp.teams.models import Team
from webapp.teams.retention import MAX_RETENTION_DAYS, MIN_PRUNE_DAYS

# How many deleted run ids the summary entry of the audit log lists (each run
# also has its own `run.deleted` entry).
AUDIT_LISTED_RUNS = 100


@dataclass(frozen=True)
class Pruned:
    id: str
    name: str
    created_at: datetime


def expired_runs(team: Team, older_than_days: int, now: datetime | None = None):
    return Run.objects.filter(team=team, created_at__lt=cutoff(older_than_days, now)).order_by("created_at", "id")


def cutoff(older_than_days: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=older_than_days)


def do_prune(team: Team, older_than_days: int, actor=None, *, dry_run: bool = False, now: datetime | None = None) -> list[Pruned]:
    """Delete the team's runs created more than `older_than_days` days ago (0:
    every run created before now) and return them; with `dry_run` only list
    them. Each run is claimed in its own transaction (row lock, skipping rows
    another pruner holds), so two prunes at once, or one repeated after a crash,
    delete every run once and fail on none."""
    if not MIN_PRUNE_DAYS <= older_than_days <= MAX_RETENTION_DAYS:
        raise ValueError(f"older-than is from {MIN_PRUNE_DAYS} to {MAX_RETENTION_DAYS} days.")
    moment = cutoff(older_than_days, now)
    found = [Pruned(str(pk), name, created) for pk, name, created in
             expired_runs(team, older_than_days, now).values_list("pk", "original_name", "created_at")]
    if dry_run:
        return found
    deleted = []
    for item in found:
        with transaction.atomic():
            run = Run.objects.select_for_update(skip_locked=True).filter(pk=item.id, team=team, created_at__lt=moment).first()
            if run is None:  # gone already, or another pruner holds it
                continue
            do_delete_run(run, actor, reason=f"older than {older_than_days} days")
        deleted.append(item)
    if deleted:
        record(team, actor, Action.RUNS_PRUNED, f"{len(deleted)} run{'s' if len(deleted) != 1 else ''}",
               older_than_days=older_than_days, runs=[item.id for item in deleted[:AUDIT_LISTED_RUNS]])
    return deleted


def teams_with_retention():
    """(team, days) for every team whose runs expire."""
    chosen = Q(retention_set=True, retention_days__isnull=False)
    if settings.DEBRIEF_RETENTION_DAYS is not None:
        chosen |= Q(retention_set=False)
    for team in Team.objects.filter(chosen).order_by("pk"):
        yield team, team.effective_retention_days


def prune_expired() -> int:
    """The daily task's work: every team's expired runs; returns how many went."""
    return sum(len(do_prune(team, days, SYSTEM)) for team, days in teams_with_retention())
