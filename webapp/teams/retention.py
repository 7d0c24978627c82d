"""How long a team keeps its runs: the limits and the one strict parser of a
number of days, shared by the setting, the Team page and `debrief runs prune`.
No models here, so settings.py can read DEBRIEF_RETENTION_DAYS with it."""

from __future__ import annotations

# A team keeps runs at least a day (0 would delete an upload before anyone saw
# it) and at most about ten years; `runs prune --older-than 0` may still empty a team.
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 3650
MIN_PRUNE_DAYS = 0


def parse_days(raw: str, *, minimum: int = MIN_RETENTION_DAYS, maximum: int = MAX_RETENTION_DAYS) -> int:
    """ASCII digits only (no sign, decimals, spaces inside or exponent), within
    the bounds; ValueError naming them otherwise."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{raw!r} is not a whole number of days.")
    days = int(text)
    if not minimum <= days <= maximum:
        raise ValueError(f"Days must be from {minimum} to {maximum}, not {days}.")
    return days


def parse_optional_days(raw: str | None) -> int | None:
    """Blank means keep forever."""
    if raw is None or not raw.strip():
        return None
    return parse_days(raw)
