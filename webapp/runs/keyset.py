"""Keyset ("seek") paging over an ordered queryset: the next page is the rows
past the last row shown, found through the index, instead of OFFSET, which reads
and throws away every earlier row (page 150 of 10,000 runs read 7,450 of them).

An order is a tuple of `SortKey`s ending in a unique column; a cursor is the
boundary row's values of those keys, base64url-encoded and joined by "|". The
API's runs cursor (`created_at|id`, newest first) is this module's cursor for
NEWEST_FIRST, so both pagers share one implementation and one format."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy

NULL = ""  # a nullable key's NULL in a cursor (no date, number or id encodes to "")
# Longest cursor accepted: a few keys of dates, numbers and a UUID fit many times over.
MAX_CURSOR_CHARS = 400


class BadCursor(ValueError):
    """Not a cursor this order gave out (edited, truncated or from another sort)."""


@dataclass(frozen=True)
class SortKey:
    field: str
    descending: bool
    nullable: bool = False  # NULLs sort last in both directions
    kind: type = datetime  # datetime, float or uuid.UUID: how a cursor value is read back

    def order(self, reverse: bool = False) -> OrderBy:
        descending = self.descending != reverse
        # Forwards NULLs are last; read backwards (a previous page) they come first.
        nulls = {"nulls_first": True} if reverse and self.nullable else {"nulls_last": True} if self.nullable else {}
        return F(self.field).desc(**nulls) if descending else F(self.field).asc(**nulls)


ID_DESCENDING = SortKey("id", descending=True, kind=uuid.UUID)
NEWEST_FIRST = (SortKey("created_at", descending=True), ID_DESCENDING)


def order_by(queryset: QuerySet, keys: tuple[SortKey, ...], reverse: bool = False) -> QuerySet:
    return queryset.order_by(*(key.order(reverse) for key in keys))


def after(queryset: QuerySet, keys: tuple[SortKey, ...], values: tuple[Any, ...]) -> QuerySet:
    """The rows that come after `values` in the order of `keys`."""
    return queryset.filter(_beyond(keys, values, forwards=True))


def before(queryset: QuerySet, keys: tuple[SortKey, ...], values: tuple[Any, ...]) -> QuerySet:
    """The rows that come before `values` in the order of `keys`."""
    return queryset.filter(_beyond(keys, values, forwards=False))


def encode(row, keys: tuple[SortKey, ...]) -> str:
    parts = []
    for key in keys:
        value = getattr(row, key.field)
        parts.append(NULL if value is None else value.isoformat() if isinstance(value, datetime) else str(value) if key.kind is uuid.UUID else repr(float(value)))
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def decode(cursor: str, keys: tuple[SortKey, ...]) -> tuple[Any, ...]:
    """The key values a cursor holds; BadCursor if it is not one `keys` gave out."""
    if len(cursor) > MAX_CURSOR_CHARS:
        raise BadCursor(cursor)
    try:
        parts = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split("|")
        if len(parts) != len(keys):
            raise ValueError
        return tuple(_read(part, key) for part, key in zip(parts, keys))
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise BadCursor(cursor) from None


def _read(text: str, key: SortKey) -> Any:
    if text == NULL:
        if not key.nullable:
            raise ValueError
        return None
    if key.kind is datetime:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:
            raise ValueError
        return value
    if key.kind is uuid.UUID:
        return uuid.UUID(text)
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError  # no stored figure is NaN or infinite
    return number


def _beyond(keys: tuple[SortKey, ...], values: tuple[Any, ...], forwards: bool) -> Q:
    """Lexicographic: some key is past its value, every key before it equal."""
    beyond = Q(pk__in=[])  # nothing, to OR onto
    equal = Q()
    for key, value in zip(keys, values):
        beyond |= equal & _past(key, value, forwards)
        equal &= Q(**{f"{key.field}__isnull": True}) if value is None else Q(**{key.field: value})
    return beyond


def _past(key: SortKey, value: Any, forwards: bool) -> Q:
    """The rows past `value` in this one key (NULLs last), forwards or backwards."""
    later = "lt" if key.descending else "gt"
    earlier = "gt" if key.descending else "lt"
    if forwards:
        if value is None:
            return Q(pk__in=[])  # nothing comes after the NULLs
        past = Q(**{f"{key.field}__{later}": value})
        return past | Q(**{f"{key.field}__isnull": True}) if key.nullable else past
    if value is None:
        return Q(**{f"{key.field}__isnull": False})  # every value comes before the NULLs
    return Q(**{f"{key.field}__{earlier}": value})
