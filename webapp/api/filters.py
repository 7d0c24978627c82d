"""Query parameters of `GET /api/v1/runs`: filters and the cursor. Anything
unparseable raises BadQuery, answered with a 400 that names the parameter."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timezone

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_date, parse_datetime

from webapp.runs import keyset
from webapp.runs.models import RunStatus

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_QUERY_CHARS = 200
MAX_ID_CURSOR_DIGITS = 18  # a bigint


class BadQuery(ValueError):
    pass


def filter_runs(runs: QuerySet, params) -> QuerySet:
    status = params.get("status")
    if status is not None:
        if status not in RunStatus.values:
            raise BadQuery(f"status must be one of {', '.join(RunStatus.values)}.")
        runs = runs.filter(status=status)
    model = params.get("model")
    if model:
        # `models` is comma-joined; match whole names only.
        runs = runs.filter(
            Q(models=model) | Q(models__startswith=f"{model},") | Q(models__endswith=f",{model}") | Q(models__contains=f",{model},")
        )
    text = params.get("q")
    if text:
        if len(text) > MAX_QUERY_CHARS:
            raise BadQuery(f"q has at most {MAX_QUERY_CHARS} characters.")
        runs = runs.filter(question__icontains=text)
    # Present means parsed: an empty or unreadable date is a 400, never ignored.
    if "since" in params:
        runs = runs.filter(created_at__gte=_moment(params["since"], "since"))
    if "until" in params:
        runs = runs.filter(created_at__lt=_moment(params["until"], "until"))
    return runs


TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")


def query_bool(params, name: str) -> bool | None:
    """None when absent; `?available=maybe` is a BadQuery, not quietly false."""
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise BadQuery(f"{name} must be true or false.")


def page_limit(params) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    # isascii: "²" and other Unicode digits pass isdigit() but not int().
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadQuery(f"limit must be a whole number from 1 to {MAX_LIMIT}.")
    return int(raw)


def after_cursor(runs: QuerySet, cursor: str | None) -> QuerySet:
    """Runs after the cursor in the list order (newest first, then id): the runs
    list's keyset paging (webapp.runs.keyset), whose cursor format this is."""
    if not cursor:
        return runs
    return keyset.after(runs, keyset.NEWEST_FIRST, decode_cursor(cursor))


def encode_cursor(run) -> str:
    return keyset.encode(run, keyset.NEWEST_FIRST)


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        return keyset.decode(cursor, keyset.NEWEST_FIRST)
    except keyset.BadCursor:
        raise BadQuery("cursor is not one this API gave out.") from None


def decode_id_cursor(cursor: str) -> int:
    """The audit log's cursor: the id of the last entry of the previous page."""
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > MAX_ID_CURSOR_DIGITS:
        raise BadQuery("cursor is not one this API gave out.")
    return int(cursor)


def _moment(raw: str, name: str) -> datetime:
    try:
        moment = parse_datetime(raw)
        if moment is None and (day := parse_date(raw)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:
        moment = None
    if moment is None:
        raise BadQuery(f"{name} must be an ISO 8601 date or date-time, e.g. 2026-11-24 or 2026-11-24T05:00:00Z.")
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
