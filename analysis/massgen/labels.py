"""Answer labels are `agentN.M`: agent N's M-th answer. Up to 0.1.60 N is the
agent's position in the config; from 0.1.65 it follows the sorted agent ids.
When a run records labels next to agent ids, that evidence decides; the
version is the fallback. (vote.json's `agent_mapping` is sorted even in 0.1.43,
so it is not evidence for labels; `answer_label_to_agent` is.)"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_LABEL = re.compile(r"^agent(\d+)\.(\d+|final)$")
_LAST_CONFIG_ORDER = (0, 1, 60)
_FIRST_SORTED_ORDER = (0, 1, 65)


def parse_version(version: str | None) -> tuple[int, ...] | None:
    if not version:
        return None
    parts = re.findall(r"\d+", version)[:3]
    return tuple(int(part) for part in parts) if parts else None


def split_label(label: str | None) -> tuple[int, int | None] | None:
    """(N, M) of `agentN.M`; M is None for `agentN.final`."""
    match = _LABEL.match(label or "")
    if not match:
        return None
    return int(match.group(1)), None if match.group(2) == "final" else int(match.group(2))


def _fits(order: Sequence[str], evidence: Iterable[tuple[str, str]]) -> bool:
    position = {agent: index + 1 for index, agent in enumerate(order)}
    return all(split_label(label) is not None and split_label(label)[0] == position.get(agent) for label, agent in evidence)


def agent_numbers(
    config_order: Sequence[str], version: str | None, evidence: Sequence[tuple[str, str]]
) -> tuple[dict[str, int], str | None]:
    """The N of each agent, and a warning when the numbering had to be guessed.
    `evidence` holds (label, agent id) pairs the run itself recorded."""
    sorted_order = sorted(config_order)
    candidates = [list(config_order), sorted_order]
    if evidence:
        for order in candidates:
            if _fits(order, evidence):
                return {agent: index + 1 for index, agent in enumerate(order)}, None
    parsed = parse_version(version)
    if parsed is not None and parsed <= _LAST_CONFIG_ORDER:
        order = list(config_order)
    elif parsed is not None and parsed >= _FIRST_SORTED_ORDER:
        order = sorted_order
    else:
        order = sorted_order
        return {agent: index + 1 for index, agent in enumerate(order)}, (
            f"answer labels were numbered by sorted agent id: MassGen {version or '(unknown version)'} "
            "records no label next to an agent id"
        )
    if evidence:
        return {agent: index + 1 for index, agent in enumerate(order)}, (
            "the recorded answer labels fit neither numbering scheme; numbered by MassGen version"
        )
    return {agent: index + 1 for index, agent in enumerate(order)}, None
