"""Where previews keep what is slow to compute about a run: a stored run's files
never change, so its counts and plans stay valid until the digest or the
request's fixed text changes, and both are part of every key."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache

from analysis.report.input import AnalysisInput
from analysis.engine.analyzer import build_prompt
from analysis.digest import DIGEST_VERSION

CACHE_PREFIX = "debrief:estimate:v1"  # bump when what is cached changes shape


def cached(run_id: str | None, kind: str, parts: Sequence[str], compute: Callable[[], Any]) -> Any:
    """`compute()`, kept under (run, kind, parts); `run_id` None: not kept."""
    if run_id is None:
        return compute()
    key = ":".join((CACHE_PREFIX, kind, run_id, f"d{DIGEST_VERSION}", _prompt_format(), *map(_fingerprint, parts)))
    value = django_cache.get(key)
    if value is None:
        value = compute()
        django_cache.set(key, value, timeout=settings.DEBRIEF_TOKEN_COUNT_CACHE_SECONDS)
    return value


@cache
def _prompt_format() -> str:
    empty = build_prompt(AnalysisInput(run_title="", facts="", raw=()))
    return _fingerprint(repr((empty.instructions, empty.items)))


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]
