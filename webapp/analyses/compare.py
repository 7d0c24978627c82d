"""Two analyses of one run side by side: findings matched by category."""

from __future__ import annotations

from dataclasses import dataclass

SEVERITY_RANK = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class CategoryRow:
    category: str
    left: tuple[dict, ...]
    right: tuple[dict, ...]

    @property
    def agreement(self) -> str:
        if self.left and self.right:
            return "both"
        return "left only" if self.left else "right only"


def _by_category(findings: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for finding in findings:
        grouped.setdefault(str(finding.get("category") or "other"), []).append(finding)
    return grouped


def _worst(findings: tuple[dict, ...]) -> int:
    return min((SEVERITY_RANK.get(finding.get("severity"), len(SEVERITY_RANK)) for finding in findings), default=len(SEVERITY_RANK))


def match_findings(left: list[dict], right: list[dict]) -> list[CategoryRow]:
    """One row per category found by either side, the most severe first."""
    left_groups, right_groups = _by_category(left), _by_category(right)
    rows = [
        CategoryRow(category, tuple(left_groups.get(category, ())), tuple(right_groups.get(category, ())))
        for category in {*left_groups, *right_groups}
    ]
    return sorted(rows, key=lambda row: (min(_worst(row.left), _worst(row.right)), row.category))
