"""The run page's vote matrix: who voted for whom, final votes apart from the
earlier ones they replaced."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# (position, voter, voted for) of one vote, in the order MassGen logged them.
Ballot = tuple[int, str, str]


@dataclass(frozen=True)
class MatrixCell:
    final: int
    replaced: int


@dataclass(frozen=True)
class VoteMatrix:
    agents: list[str]
    rows: list[tuple[str, list[MatrixCell]]]
    received: list[int]  # final votes each agent received


def final_vote_positions(ballots: list[Ballot]) -> set[int]:
    """A voter's last vote stands; MassGen logs the earlier ones it replaced."""
    return set({voter: position for position, voter, _ in ballots}.values())


def vote_matrix(lane_order: list[str], ballots: list[Ballot], final: set[int]) -> VoteMatrix:
    voters = list(dict.fromkeys(voter for _, voter, _ in ballots))
    agents = list(dict.fromkeys([*lane_order, *voters, *(target for _, _, target in ballots if target)]))
    finals, replaced = _tally(ballots, final)
    return VoteMatrix(
        agents=agents,
        rows=[(voter, [MatrixCell(finals[voter, target], replaced[voter, target]) for target in agents])
              for voter in agents if voter in voters],
        received=[sum(finals[voter, target] for voter in voters) for target in agents],
    )


def _tally(ballots: list[Ballot], final: set[int]) -> tuple[Counter, Counter]:
    """Votes per (voter, voted for): the final ones, and the replaced ones."""
    finals = Counter((voter, target) for position, voter, target in ballots if position in final)
    replaced = Counter((voter, target) for position, voter, target in ballots if position not in final)
    return finals, replaced
