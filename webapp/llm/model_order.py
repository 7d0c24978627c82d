"""Which models a person can pick, first: the usable ones (the default, then by
provider and name), and for every provider whose models cannot be used, one line
saying how to unlock them ("add a key to unlock 436 models") instead of hundreds
of disabled rows. Shared by the Models page and the Analyse panel."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from analysis.registry.registry import NOT_OFFERED


@dataclass(frozen=True)
class LockedProvider:
    """A provider's models that cannot be used here, standing as one line."""

    provider: str
    count: int
    reasons: tuple[str, ...]  # distinct unavailable_reason values, e.g. "OPENAI_API_KEY is not set"
    not_offered: bool  # the key is set, the endpoint does not list them

    @property
    def label(self) -> str:
        models = f"{self.count} {self.provider} model{'s' if self.count != 1 else ''}"
        if self.not_offered:
            return f"{models} not offered by this endpoint"
        return f"add a key to unlock {models}: {'; '.join(self.reasons)}"


def usable_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`model_to_dict` rows, usable ones first, the default at the very top; the
    order within each part is the registry's (provider, then name)."""
    return sorted(rows, key=lambda row: (not row["available"], not row["is_default"]))


def split_usable(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[LockedProvider]]:
    """The usable rows (default first) and one LockedProvider per provider for the rest."""
    usable = [row for row in usable_first(rows) if row["available"]]
    unusable = sorted((row for row in rows if not row["available"]), key=lambda row: row["provider"])
    locked = []
    for provider, group in groupby(unusable, key=lambda row: row["provider"]):
        group = list(group)
        reasons = sorted({row["unavailable_reason"] or "unavailable" for row in group})
        not_offered = all(reason.startswith(NOT_OFFERED) for reason in reasons)
        shown = (NOT_OFFERED,) if not_offered else tuple(r for r in reasons if not r.startswith(NOT_OFFERED))
        locked.append(LockedProvider(provider, len(group), shown, not_offered))
    return usable, locked
