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


# What choosing reads of each attempt; a page that only names the attempt (the cost
# preview) loads no more (its config and warnings can be tens of KB).
CHOICE_FIELDS = ("id", "run_id", "turn", "attempt", "accepted", "complete", "totals", "final_answer_chars")


def choose_attempt(run: Run, query, lean: bool = False) -> tuple[Attempt | None, list[Attempt]]:
    """The attempt named by ?turn=&attempt=, else the accepted one of the last
    complete turn (a continuation may end on a stub turn that did nothing).
    `lean`: the attempts hold CHOICE_FIELDS only (the rest is read if used)."""
    attempts = list(run.attempts.only(*CHOICE_FIELDS) if lean else run.attempts.all())
    if not attempts:
        return None, attempts
    turns = {a.turn for a in attempts}
    turn = parse_int(query.get("turn"))
    in_turn = [a for a in attempts if a.turn == (turn if turn in turns else default_turn(attempts))]
    number = parse_int(query.get("attempt"))
    chosen = next((a for a in in_turn if a.attempt == number), None)
    return chosen or next((a for a in in_turn if a.accepted), in_turn[-1]), attempts


def default_turn(attempts: list[Attempt]) -> int:
    """The last turn whose accepted attempt completed and did some work, else the first."""
    finished = [a.turn for a in attempts if a.accepted and a.complete and _did_work(a)]
    return max(finished) if finished else min(a.turn for a in attempts)


def _did_work(attempt: Attempt) -> bool:
    totals = attempt.totals or {}
    return bool(attempt.final_answer_chars or totals.get("input_tokens") or totals.get("output_tokens"))


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
