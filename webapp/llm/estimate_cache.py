"""Where previews keep what is slow to compute about a run: a stored run's files
never change, so its counts and plans stay valid until the digest or the
request's fixed text changes, and both are part of every key.

Two layers: Django's cache for everything (counts and compression plans), and the
database for the prompt's token counts and compression plans (`stored`), which must
survive a restart: the first preview after a start then reads a row instead of
counting the run."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.db import IntegrityError, transaction
from django.db.models import Q

from analysis.report.input import AnalysisInput
from analysis.engine.analyzer import build_prompt
from analysis.digest import DIGEST_VERSION
from analysis.report.prompt import REPORT_FORMAT
from webapp.llm.models import EstimateFigure
from webapp.runs.models import Run

CACHE_PREFIX = "debrief:estimate:v2"  # bump when what is cached changes shape


def entry_key(kind: str, material_id: str, parts: Sequence[str]) -> str:
    """Everything a cached figure depends on: what it is, which run and attempt, the
    digest's version, the request's fixed text and schema, and the caller's parts."""
    return ":".join((kind, material_id, f"d{DIGEST_VERSION}", _prompt_format(), *map(_fingerprint, parts)))


def cached(run_id: str | None, kind: str, parts: Sequence[str], compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under (run, kind, parts); `run_id` None: not kept."""
    if run_id is None:
        return compute()
    key = f"{CACHE_PREFIX}:{entry_key(kind, run_id, parts)}"
    value = django_cache.get(key)
    if value is None:
        value = compute()
        django_cache.set(key, value, timeout=settings.DEBRIEF_TOKEN_COUNT_CACHE_SECONDS)
    return value


def stored(run_pk, material_id: str | None, kind: str, parts: Sequence[str], compute: Callable[[], Any]) -> Any:
    """`cached`, with the run's database row between the cache and `compute()`, for
    figures that must survive a restart (JSON values). `run_pk` None (a path, not a
    stored run): only cached."""
    if run_pk is None or material_id is None:
        return cached(material_id, kind, parts, compute)

    def from_database() -> Any:
        key = entry_key(kind, material_id, parts)
        row = EstimateFigure.objects.filter(run_id=run_pk, key=key).values_list("value", flat=True).first()
        if row is not None:
            return row
        value = compute()
        if not Run.objects.filter(pk=run_pk).exists():
            return value  # deleted meanwhile (or never saved): the figure is still right for this preview
        try:
            with transaction.atomic():
                # Two processes may compute the same figure at once: the first row stands, both are equal.
                EstimateFigure.objects.bulk_create([EstimateFigure(run_id=run_pk, key=key, value=value)], ignore_conflicts=True)
                _forget_outdated(run_pk, material_id)
        except IntegrityError:
            pass  # deleted between the check and the insert
        return value

    return cached(material_id, kind, parts, from_database)


def _forget_outdated(run_pk, material_id: str) -> None:
    """Delete the run's figures no key will name again: those of an earlier reading
    of it (a re-read or a joined `--continue` gives the run a new reading time, part
    of `material_id`, "run:<id>:<read at>:<attempt>") or of an earlier release's
    digest or prompt. Done when a figure is written, which a new reading causes."""
    reading = material_id.rsplit(":", 1)[0]
    release = f":d{DIGEST_VERSION}:{_prompt_format()}:"
    EstimateFigure.objects.filter(run_id=run_pk).exclude(Q(key__contains=f":{reading}:") & Q(key__contains=release)).delete()


@cache
def _prompt_format() -> str:
    # The schema is counted into every request (once per provider tokenizer): a new
    # schema must not reuse counts made with the old one.
    empty = build_prompt(AnalysisInput(run_title="", facts="", raw=()))
    return _fingerprint(repr((empty.instructions, empty.items, REPORT_FORMAT)))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
