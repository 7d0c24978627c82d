"""Which attempt of a run a page shows (?turn=&attempt=), and the turn and
attempt switcher of the run page. The analyse panel picks its attempt here too."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from webapp.runs.models import Attempt, Run
from webapp.runs.presenters.query_params import parse_int


@dataclass(frozen=True)
class AttemptChoice:
    turn: int
    attempt: int
    accepted: bool
    complete: bool
    query: str
    current: bool


@dataclass(frozen=True)
class TurnChoices:
    turn: int
    attempts: list[AttemptChoice]


def choose_attempt(run: Run, query) -> tuple[Attempt | None, list[Attempt]]:
    """The attempt named by ?turn=&attempt=, else the first turn's accepted one."""
    attempts = list(run.attempts.all())
    if not attempts:
        return None, attempts
    turns = {a.turn for a in attempts}
    turn = parse_int(query.get("turn"))
    in_turn = [a for a in attempts if a.turn == (turn if turn in turns else min(turns))]
    number = parse_int(query.get("attempt"))
    chosen = next((a for a in in_turn if a.attempt == number), None)
    return chosen or next((a for a in in_turn if a.accepted), in_turn[-1]), attempts


def turn_choices(attempts: list[Attempt], current: Attempt) -> list[TurnChoices]:
    by_turn: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_turn[attempt.turn].append(attempt)
    return [
        TurnChoices(turn, [
            AttemptChoice(a.turn, a.attempt, a.accepted, a.complete, urlencode({"turn": a.turn, "attempt": a.attempt}),
                          a.pk == current.pk)
            # The accepted attempt first; the restarted ones after it, latest first.
            for a in sorted(group, key=lambda a: (not a.accepted, -a.attempt))
        ])
        for turn, group in sorted(by_turn.items())
    ]
