"""Reading the pages' query strings leniently: a hand-edited or stale URL gets
a page, never an error, so a bad value reads as absent."""

from __future__ import annotations

from datetime import date


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def parse_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_page(value) -> int:
    return max(parse_int(value) or 1, 1)
