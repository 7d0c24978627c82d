"""The strip at the top of a run page: one sentence of what happened, cards for
errors, retries and restarts, and why the winner won.

The reader's newer fields (per agent `restarts`, `provider_retries`; per attempt
`presented_by`, `restart_reason`, `previous_restart_reason`) are columns that
ingest fills; a run ingested before those columns existed has NULL there, so
`field_of` falls back to the run's summary JSON (the reader's `--json` contract),
else leaves them out. A figure MassGen never recorded is NULL in the rows and
reads "not recorded by MassGen <version>", never 0 or $0."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webapp.runs.charts import compact_number, format_cost
from webapp.runs.models import AgentRow, Attempt, Run
from webapp.runs.templatetags.runs_format import unrecorded_text

# How many of the winning votes' reasons the strip shows; the rest are in Votes.
MAX_REASONS = 6


@dataclass(frozen=True)
class SummaryCard:
    key: str  # errors | retries | restarts: the card's id and anchor
    label: str
    value: int | None  # None: MassGen did not record it
    detail: str
    href: str  # where the rows behind the figure are listed
    alarm: bool | None = None  # None: alarming when the value is not 0

    @property
    def alarming(self) -> bool:
        return bool(self.value) if self.alarm is None else self.alarm


@dataclass(frozen=True)
class WinningReason:
    voter: str
    label: str
    reason: str
    anchor: str


@dataclass(frozen=True)
class RestartNote:
    """A restarted attempt: who presented and why post-evaluation rejected it."""

    presented_by: str | None
    reason: str | None


@dataclass(frozen=True)
class RunSummary:
    sentence: str
    cards: list[SummaryCard]
    reasons: list[WinningReason]
    reasons_total: int
    restart: RestartNote | None  # set only for a restarted attempt, which has no winner
    earlier_restart_reason: str | None = None  # why the attempt before this one was restarted

    @property
    def has_winner(self) -> bool:
        return self.restart is None


def field_of(row: Any, summary_entry: dict | None, name: str) -> Any:
    """A reader field from the row, else from its entry in the summary JSON, else None."""
    value = getattr(row, name, None)
    if value is None and summary_entry:
        value = summary_entry.get(name)
    return value


def summary_attempt(run: Run, attempt: Attempt) -> dict | None:
    """The attempt's entry in the run's summary JSON, if the run has one."""
    for turn in (run.summary or {}).get("turns") or []:
        if turn.get("turn") != attempt.turn:
            continue
        for entry in turn.get("attempts") or []:
            if entry.get("attempt") == attempt.attempt:
                return entry
    return None


def summary_agents(entry: dict | None) -> dict[str, dict]:
    return {agent.get("id"): agent for agent in (entry or {}).get("agents") or [] if isinstance(agent, dict)}


def is_restarted(attempt: Attempt, entry: dict | None) -> bool:
    """MassGen accepts a turn's last attempt; an earlier one was restarted."""
    return not attempt.accepted or field_of(attempt, entry, "restart_reason") is not None


def build_summary(run: Run, attempt: Attempt, agents: list[AgentRow], errors: list[tuple[str, str]],
                  final_votes: list, attempts_in_turn: int, enforcement_rows: int = 0) -> RunSummary:
    """`errors`: (agent, kind) of every error row; `final_votes`: VoteItems of the final votes."""
    entry = summary_attempt(run, attempt)
    by_id = summary_agents(entry)
    restarted = is_restarted(attempt, entry)
    restart = RestartNote(
        presented_by=field_of(attempt, entry, "presented_by") or None,
        reason=field_of(attempt, entry, "restart_reason") or None,
    ) if restarted else None

    # An agent restarting when it sees a new answer is how MassGen coordinates,
    # so it is a detail; a turn restarted after post-evaluation is the alarm.
    agent_restarts = sum(int(field_of(a, by_id.get(a.agent), "restarts") or a.times_restarted or 0) for a in agents)
    # Earlier attempts of this turn, each one a restart of the whole turn.
    turn_restarts = max(attempts_in_turn - 1, 0) if attempt.accepted else attempt.attempt
    restarts = turn_restarts
    # A cascade (as the offline analyzer names it): at least one restart per agent and more
    # restarts than answers, as in the real 0.1.1 run whose 17 restarts made 2 minutes 22.
    cascade = agent_restarts >= max(len(agents), 1) and agent_restarts > sum(a.answers for a in agents)
    provider_counts = [field_of(a, by_id.get(a.agent), "provider_retries") for a in agents]
    provider_retries = sum(int(n) for n in provider_counts if n is not None)
    provider_known = any(n is not None for n in provider_counts)
    # Older MassGen logs give only per-agent counts, newer ones each re-prompt as a row.
    enforcement_known = any(a.enforcement_retries is not None for a in agents) or enforcement_rows > 0
    enforcement = max(sum(a.enforcement_retries or 0 for a in agents), enforcement_rows)
    unknown = unrecorded_text(run.massgen_version)
    retries_detail = _join([
        _count(provider_retries, "provider retry", "provider retries"),
        _count(enforcement, "enforcement retry", "enforcement retries"),
        "" if provider_known else f"provider retries {unknown}",
        "" if enforcement_known else f"enforcement retries {unknown}",
    ]) or "none"

    cards = [
        SummaryCard("errors", "Errors", len(errors), _errors_detail(errors), "#problems"),
        SummaryCard("retries", "Retries",
                    provider_retries + enforcement if (provider_known or enforcement_known) else None,
                    retries_detail, "#problems"),
        SummaryCard("restarts", "Restarts", restarts or (agent_restarts if cascade else 0),
                    _join([_count(turn_restarts, "turn restarted after post-evaluation",
                                  "turn restarts after post-evaluation"),
                           _count(agent_restarts, "agent restart on a new answer", "agent restarts on new answers"),
                           "a restart cascade" if cascade else ""])
                    or "none", "#attempts" if attempts_in_turn > 1 else "#agents" if cascade else "#timeline",
                    alarm=bool(restarts or cascade)),
    ]
    winner = attempt.winner if not restarted else ""
    winning = [vote for vote in final_votes if winner and vote.row.voted_for == winner]
    reasons = [WinningReason(v.row.voter, v.row.label or v.row.voted_for, v.row.reason, v.anchor)
               for v in winning if v.row.reason][:MAX_REASONS]
    return RunSummary(
        sentence=_sentence(attempt, agents, winner, winning, final_votes, restarts, errors, restart, run.massgen_version,
                           agent_restarts if cascade else 0),
        cards=cards,
        reasons=reasons,
        reasons_total=len(winning),
        restart=restart,
        earlier_restart_reason=field_of(attempt, entry, "previous_restart_reason") or None,
    )


def _sentence(attempt, agents, winner, winning, final_votes, restarts, errors, restart, version, cascade=0) -> str:
    parts = []
    if restart is not None:
        # The reason itself is on the line below the sentence (it may be long).
        whose = f"{restart.presented_by}'s final answer" if restart.presented_by else "The final answer"
        parts.append(f"Restarted: {whose} was rejected by post-evaluation")
    elif winner:
        against = len(final_votes) - len(winning)
        parts.append(f"{_winner_name(winner, agents)} won {len(winning)}–{against}"
                     + (f" after {_count(restarts, 'restart', 'restarts')}" if restarts else ""))
    else:
        parts.append("No winner was recorded" + (f" after {_count(restarts, 'restart', 'restarts')}" if restarts else ""))
    if cascade:
        parts.append(f"a restart cascade: {cascade} agent restarts across {len(agents)} agents")
    if errors:
        parts.append(_errors_detail(errors))
    totals = attempt.totals or {}
    if totals.get("input_tokens") is None and totals.get("cost_usd") is None and "input_tokens" in totals:
        parts.append(f"tokens and cost {unrecorded_text(version)}")
    else:
        tokens = sum(int(totals.get(key) or 0) for key in ("input_tokens", "output_tokens"))
        parts.append(f"{compact_number(float(tokens))} tokens, {format_cost(float(totals.get('cost_usd') or 0.0))}")
    return "; ".join(parts) + "."


def _winner_name(winner: str, agents: list[AgentRow]) -> str:
    """The winner's model when it says more than its agent id."""
    agent = next((a for a in agents if a.agent == winner), None)
    if agent and agent.model and agent.model != winner:
        return f"{winner} ({agent.model})"
    return winner


def _errors_detail(errors: list[tuple[str, str]]) -> str:
    if not errors:
        return "none"
    agents = sorted({agent for agent, _ in errors if agent})
    timeouts = sum(1 for _, kind in errors if kind == "timeout")
    kinds = _join([_count(len(errors) - timeouts, "error", "errors"), _count(timeouts, "timeout", "timeouts")])
    return kinds + (f" on {', '.join(agents)}" if agents else "")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}" if n else ""


def _join(parts: list[str]) -> str:
    return ", ".join(part for part in parts if part)
