"""One run's page (/runs/<id>/, the run_detail view): the chosen attempt's
figures, agents, final answer, timeline, vote matrix, answers, votes, errors,
retries, tools and charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q, QuerySet, Subquery
from django.utils.functional import SimpleLazyObject

from webapp.runs import charts, timeline
from webapp.runs.models import AgentRow, AnswerRow, Attempt, RoundRow, Run, ToolRow, VoteRow
from webapp.runs.presenters.attempt_choice import TurnChoices, choose_attempt, turn_choices
from webapp.runs.presenters.run_summary import RunSummary, build_summary, field_of, summary_agents, summary_attempt
from webapp.runs.presenters.vote_matrix import Ballot, VoteMatrix, final_vote_positions, vote_matrix

# Rows per list on the run page (votes, answers, errors, retries); the timeline
# draws the same votes and answers, so each of its links has a target.
MAX_LISTED = 300
# The timeline, vote matrix, votes, answers and charts are rendered once per attempt and kept
# this long (run.html's `{% cache %}`): a stored attempt's rows never change, and the
# key changes when a run is ingested again. At 5,000 events they were most of the
# page's time; kept in Django's cache, so per process without CACHE_URL.
FRAGMENT_CACHE_SECONDS = 600
# The token totals shown, in this order: key in Attempt.totals, label.
TOKEN_FIGURES = (
    ("input_tokens", "Input tokens"),
    ("cached_input_tokens", "Cached input"),
    ("output_tokens", "Output tokens"),
    ("reasoning_tokens", "Reasoning tokens"),
)
# Round outcomes that mean the round did not end the way its type suggests.
CUT_SHORT_OUTCOMES = ("restarted", "error", "timeout")


@dataclass(frozen=True)
class VoteItem:
    row: VoteRow
    anchor: str
    final: bool
    when: str


@dataclass(frozen=True)
class AnswerItem:
    row: AnswerRow
    anchor: str
    when: str
    url: str | None  # the answer's file, loaded on demand


@dataclass(frozen=True)
class AgentAnswers:
    agent: str
    tone: int  # the colour of the agent's timeline lane
    answers: list[AnswerItem]


@dataclass(frozen=True)
class TokenFigure:
    label: str
    value: int | None  # None: not recorded by the run's MassGen version


@dataclass(frozen=True)
class ProviderRetry:
    """One provider error MassGen backed off from and retried (the summary's
    `provider_retries[]`: read from the summary JSON, as the page only lists them)."""

    agent: str
    message: str
    source: str


@dataclass(frozen=True)
class AgentLine:
    """An agent row with the reader fields that may live only in the summary JSON."""

    row: AgentRow
    restarts: int
    provider_retries: int | None  # None: neither massgen.log nor events.jsonl exists


@dataclass(frozen=True)
class Capped:
    """The first MAX_LISTED rows of a list, and how many there are in all."""

    items: list
    shown: int  # rows in `items` (they may be grouped)
    total: int

    @property
    def truncated(self) -> bool:
        return self.shown < self.total


@dataclass(frozen=True)
class RunPage:
    run: Run
    attempt: Attempt
    turns: list[TurnChoices]
    several_attempts: bool
    tokens: list[TokenFigure]
    cost_usd: float | None  # None: not recorded by the run's MassGen version
    agents: list[AgentRow]
    agent_lines: list[AgentLine]
    final_answer_url: str | None
    final_answer_truncated: bool
    timeline: timeline.Timeline
    matrix: VoteMatrix
    answers: Capped  # of AgentAnswers
    votes: Capped  # of VoteItem
    errors: Capped
    enforcements: Capped
    retried_agents: list[AgentRow]  # re-prompted agents, for runs that log counts but no details
    provider_retries: Capped  # of ProviderRetry
    provider_retries_recorded: bool
    enforcement_recorded: bool
    usage_recorded: bool
    tools: list[ToolRow]
    agent_chart: charts.BarChart
    round_chart: charts.BarChart
    warnings: list[str]  # about this page's figures: shown as they are
    reader_notes: list[str]  # the reader's and ingest's notes: folded into one disclosure
    summary: RunSummary

    @property
    def fragment_key(self) -> str:
        """What the attempt's cached fragment depends on: the run (its id is random, so
        a key never names another run's attempt, even where a database reuses ids),
        the attempt, and when the run was last ingested."""
        processed = self.run.processed_at.isoformat() if self.run.processed_at else ""
        return f"{self.run.pk}:{self.attempt.pk}:{processed}"

    @property
    def fragment_seconds(self) -> int:
        return FRAGMENT_CACHE_SECONDS

    @property
    def winner(self) -> str:
        """The attempt's winner, none for a restarted attempt (post-evaluation rejected it)."""
        return self.attempt.winner if self.summary.has_winner else ""


def run_page(run: Run, query) -> RunPage | None:
    attempt, attempts = choose_attempt(run, query)
    if attempt is None:
        return None
    agents = list(attempt.agentrows.all())
    lane_order = [agent.agent for agent in agents]
    # What only the attempt's cached fragment draws (every vote for the matrix, the
    # listed votes and answers, the timeline) is read when the template first asks,
    # so not at all while the fragment is cached: at 2,500 votes it was half the page.
    drawn = SimpleLazyObject(lambda: _drawn(run, attempt, agents))
    totals = attempt.totals or {}
    errors = _capped(attempt.errorrows.all())
    enforcements = _capped(attempt.enforcementrows.all())
    entry = summary_attempt(run, attempt)
    by_id = summary_agents(entry)
    agent_lines = [
        AgentLine(a, int(field_of(a, by_id.get(a.agent), "restarts") or a.times_restarted or 0),
                  field_of(a, by_id.get(a.agent), "provider_retries"))
        for a in agents
    ]
    retries = [
        ProviderRetry(str(item.get("agent") or ""), str(item.get("message") or ""), str(item.get("source") or ""))
        for item in (entry or {}).get("provider_retries") or [] if isinstance(item, dict)
    ]
    usage_recorded = totals.get("input_tokens") is not None or "input_tokens" not in totals
    summary = build_summary(
        run, attempt, agents, list(attempt.errorrows.values_list("agent", "kind")), _final_votes(attempt),
        sum(1 for a in attempts if a.turn == attempt.turn), enforcements.total,
    )
    return RunPage(
        run=run,
        attempt=attempt,
        turns=turn_choices(attempts, attempt),
        several_attempts=len(attempts) > 1,
        tokens=[TokenFigure(label, _known_int(totals, key, usage_recorded)) for key, label in TOKEN_FIGURES],
        cost_usd=float(totals.get("cost_usd") or 0.0) if usage_recorded else None,
        agents=agents,
        agent_lines=agent_lines,
        final_answer_url=_file_url(run, attempt.final_answer_path),
        final_answer_truncated=(attempt.final_answer_chars or 0) > len(attempt.final_answer_preview),
        timeline=SimpleLazyObject(lambda: drawn.timeline),
        matrix=SimpleLazyObject(lambda: drawn.matrix),
        answers=SimpleLazyObject(lambda: drawn.answers),
        votes=SimpleLazyObject(lambda: drawn.votes),
        errors=errors,
        enforcements=enforcements,
        retried_agents=[agent for agent in agents if agent.enforcement_retries],
        provider_retries=Capped(retries[:MAX_LISTED], min(len(retries), MAX_LISTED), len(retries)),
        provider_retries_recorded=any(line.provider_retries is not None for line in agent_lines) or bool(retries),
        enforcement_recorded=any(a.enforcement_retries is not None for a in agents) or enforcements.total > 0,
        usage_recorded=usage_recorded,
        tools=list(attempt.toolrows.all()),
        agent_chart=_agent_chart(agents),
        round_chart=SimpleLazyObject(lambda: _round_chart(attempt, lane_order)),  # as the timeline
        warnings=_warnings(attempt),
        reader_notes=[str(w) for w in (*(run.warnings or []), *(attempt.warnings or []))],
        summary=summary,
    )


@dataclass(frozen=True)
class _Drawn:
    """The attempt's cached fragment's material (see run_page)."""

    timeline: timeline.Timeline
    matrix: VoteMatrix
    answers: Capped  # of AgentAnswers
    votes: Capped  # of VoteItem


def _drawn(run: Run, attempt: Attempt, agents: list[AgentRow]) -> _Drawn:
    lane_order = [agent.agent for agent in agents]
    # Every vote as a cheap tuple for the matrix; whole rows only for those listed.
    ballots = list(attempt.voterows.values_list("position", "voter", "voted_for"))
    final_votes = final_vote_positions(ballots)
    votes = _capped(attempt.voterows.filter(_votes_to_list(ballots, final_votes)), len(ballots))
    answers = _capped(attempt.answerrows.all())
    start, end = _time_span(attempt, answers, votes)
    answer_items = [AnswerItem(a, f"answer-{a.pk}", _offset(a.at, start), _file_url(run, a.path)) for a in answers.items]
    vote_items = [VoteItem(v, f"vote-{v.pk}", v.position in final_votes, _offset(v.at, start)) for v in votes.items]
    return _Drawn(
        timeline=_draw_timeline(attempt, agents, answer_items, vote_items, start, end),
        matrix=vote_matrix(lane_order, ballots, final_votes),
        answers=Capped(_answers_by_agent(lane_order, answer_items), answers.shown, answers.total),
        votes=Capped(vote_items, votes.shown, votes.total),
    )


def _final_votes(attempt: Attempt) -> list[VoteItem]:
    """The final votes (each voter's last, as `final_vote_positions` says) for the
    summary, in one query that reads no other vote row. The summary says who voted
    for whom and why, never when, so `when` stays empty."""
    last = attempt.voterows.order_by().values("voter").annotate(last=Max("position")).values("last")
    return [VoteItem(v, f"vote-{v.pk}", True, "") for v in attempt.voterows.filter(position__in=Subquery(last))]


def _known_int(totals: dict, key: str, recorded: bool) -> int | None:
    return int(totals.get(key) or 0) if recorded else None


def _capped(rows: QuerySet, total: int | None = None) -> Capped:
    items = list(rows[: MAX_LISTED + 1])
    if total is None:
        total = len(items) if len(items) <= MAX_LISTED else rows.count()
    return Capped(items[:MAX_LISTED], min(len(items), MAX_LISTED), total)


def _votes_to_list(ballots: list[Ballot], final: set[int]) -> Q:
    """The votes the page lists and draws: all the final ones, then the earliest
    replaced ones up to MAX_LISTED. As a filter: the final positions and every
    position up to the last listed replaced one (ballots are in position order),
    not a list of hundreds of positions, which cost more to send than the rows."""
    replaced = [position for position, _, _ in ballots if position not in final]
    room = max(MAX_LISTED - len(final), 0)
    listed = Q(position__in=sorted(final))
    if room and replaced:
        listed |= Q(position__lte=replaced[:room][-1])
    return listed


def _time_span(attempt: Attempt, answers: Capped, votes: Capped) -> tuple[datetime | None, datetime | None]:
    """When the attempt started and ended; the first listed answer or vote
    stands in for a start the run did not record."""
    start = attempt.started_at or min((item.at for item in (*answers.items, *votes.items) if item.at), default=None)
    end = start + timedelta(seconds=attempt.duration_seconds) if start and attempt.duration_seconds else None
    return start, end


def _draw_timeline(
    attempt: Attempt,
    agents: list[AgentRow],
    answer_items: list[AnswerItem],
    vote_items: list[VoteItem],
    start: datetime | None,
    end: datetime | None,
) -> timeline.Timeline:
    # Tuples, not model instances: a long run has thousands of restarts and errors.
    events = attempt.eventrows.filter(kind__in=timeline.EVENT_KINDS).values_list("kind", "agent", "at", "details")
    return timeline.build_timeline(
        agents=[(agent.agent, agent.model if agent.model != agent.agent else agent.backend) for agent in agents],
        answers=[timeline.AnswerPoint(i.row.agent, i.row.label, i.row.at, i.anchor) for i in answer_items],
        votes=[timeline.VotePoint(i.row.voter, i.row.label or None, i.row.voted_for or None, i.row.reason, i.row.at, i.anchor)
               for i in vote_items],
        events=[timeline.EventPoint(kind, agent or None, at, details) for kind, agent, at, details in events],
        start=start,
        end=end,
    )


def _agent_chart(agents: list[AgentRow]) -> charts.BarChart:
    return charts.build_bars([
        charts.Usage(a.agent, "", a.input_tokens, a.output_tokens, a.reasoning_tokens or 0, a.cached_input_tokens or 0,
                     a.cost_usd or 0.0)
        for a in agents if a.input_tokens is not None and a.output_tokens is not None
    ])


def _round_chart(attempt: Attempt, lane_order: list[str]) -> charts.BarChart:
    """Each agent's rounds together, agents in lane order."""
    return charts.build_bars([
        charts.Usage(_round_label(r), r.agent, r.input_tokens, r.output_tokens, r.reasoning_tokens, r.cached_input_tokens,
                     r.cost_usd)
        for r in sorted(attempt.roundrows.all(), key=lambda r: (_lane_index(lane_order, r.agent), r.position))
    ])


def _answers_by_agent(lane_order: list[str], items: list[AnswerItem]) -> list[AgentAnswers]:
    grouped: dict[str, list[AnswerItem]] = {agent: [] for agent in lane_order}
    for item in items:
        grouped.setdefault(item.row.agent, []).append(item)
    return [AgentAnswers(agent, i % timeline.TONES, answers) for i, (agent, answers) in enumerate(grouped.items())]


def _warnings(attempt: Attempt) -> list[str]:
    warnings = []
    if attempt.likely_crash:
        warnings.append("Likely crash: post-evaluation began but ended without a verdict, and no restart followed.")
    if attempt.complete:
        return warnings
    reason = attempt.finish_reason or "unknown"
    if not attempt.accepted:
        # Every attempt but a turn's last was restarted: its record stops at the restart.
        return warnings + [f"This attempt was restarted and did not complete (finish reason: {reason}); "
                           "the figures cover what was logged before the restart."]
    return warnings + [f"This attempt did not complete (finish reason: {reason}); "
                       "the figures cover what was logged before it stopped."]


def _round_label(row: RoundRow) -> str:
    number = f"R{row.number}" if row.number is not None else "R?"
    cut_short = f" ({row.outcome})" if row.outcome in CUT_SHORT_OUTCOMES else ""
    return f"{number} {row.type or row.outcome or ''}".rstrip() + cut_short


def _lane_index(lane_order: list[str], agent: str) -> int:
    return lane_order.index(agent) if agent in lane_order else len(lane_order)


def _offset(at: datetime | None, start: datetime | None) -> str:
    if at is None or start is None:
        return ""
    return "+" + timeline.format_offset(max((at - start).total_seconds(), 0.0))


def _file_url(run: Run, relpath: str) -> str | None:
    return f"/runs/{run.pk}/files/{relpath}" if relpath else None
