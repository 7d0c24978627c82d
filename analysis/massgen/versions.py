"""Which files a MassGen version writes, so that a figure it never recorded is
reported as unknown rather than as zero."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^\s*v?(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?")
# status.json arrived in 0.1.8, metrics_summary.json in 0.1.27; before 0.1.8 a
# session's files sat straight in `log_*/` (the flat layout).
STATUS_SINCE = (0, 1, 8)
METRICS_SINCE = (0, 1, 27)


def version_tuple(version: str | None) -> tuple[int, int, int] | None:
    match = _VERSION.match(version or "")
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)


def predates(version: str | None, since: tuple[int, int, int], *, flat_layout: bool = False) -> bool:
    """The version is older than `since`; an unknown version counts as older
    only in the flat layout, which no version since 0.1.8 writes."""
    parsed = version_tuple(version)
    return parsed < since if parsed is not None else flat_layout
