"""The facts of one attempt of a MassGen run as plain data: what the digest text
says, in a form code can compute findings from (the offline analyzer does).

Built from the reader's `Attempt` only: no file is read here except the agents'
traces for failed tool calls, which `traces` parses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from analysis.digest.traces import FailedToolCall, failed_tool_calls
from analysis.massgen.model import Agent, ApiTimingFacts, Attempt, Session, Turn

# Timeline kinds worth a line of their own; answers, votes, errors and timeouts
# already have theirs.
NOTABLE_EVENT_KINDS = frozenset({"restart", "vote_ignored"})


@dataclass(frozen=True)
class AgentFacts:
    id: str
    backend: str | None
    model: str | None
    status: str | None
    answer_labels: tuple[str, ...]
    votes_cast: int
    times_restarted: int
    errors: int
    enforcement_retries: int
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_input_tokens: int
    cost_usd: float
    restarts: int = 0
    provider_retries: int | None = None  # None: no file to count them from
    usage_recorded: bool = True  # False: tokens and cost are unknown, not 0
    enforcement_recorded: bool = True

    @property
    def answers(self) -> int:
        return len(self.answer_labels)


@dataclass(frozen=True)
class AnswerFacts:
    label: str
    agent: str
    at: datetime | None
    round: int | None
    size_bytes: int | None  # None when the answer's text file is missing
    voters: tuple[str, ...]  # who voted for this label, in the order cast

    @property
    def received_votes(self) -> bool:
        return bool(self.voters)


@dataclass(frozen=True)
class VoteFacts:
    voter: str
    voted_for: str | None
    label: str | None
    reason: str
    at: datetime | None
    round: int | None


@dataclass(frozen=True)
class RoundFacts:
    agent: str
    number: int | None
    type: str | None
    outcome: str | None
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_input_tokens: int
    cost_usd: float
    duration_ms: float | None
    token_source: str | None


@dataclass(frozen=True)
class ErrorFacts:
    agent: str | None
    kind: str  # "error" | "timeout"
    message: str
    at: datetime | None
    source: str


@dataclass(frozen=True)
class ToolFacts:
    name: str
    calls: int
    failures: int
    total_ms: float


@dataclass(frozen=True)
class EnforcementFacts:
    """One re-prompt of an agent by the orchestrator."""

    agent: str
    round: int | None
    attempt: int | None
    reason: str
    error_message: str
    buffer_chars: int


@dataclass(frozen=True)
class EnforcementRoundFacts:
    """Re-prompts of one agent in one round: MassGen's red flags are two or more
    retries in a round and more than 5,000 buffer characters lost."""

    agent: str
    round: int | None
    attempts: int
    buffer_chars_lost: int
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ReliabilityFacts:
    agent: str
    total_retries: int
    buffer_chars_lost: int
    workflow_errors: int
    outcome: str | None


@dataclass(frozen=True)
class EventFacts:
    at: datetime | None
    kind: str
    agent: str | None
    details: str


@dataclass(frozen=True)
class SubagentFacts:
    id: str
    input_tokens: int
    output_tokens: int
    cost_usd: float


@dataclass(frozen=True)
class TotalsFacts:
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_input_tokens: int
    cost_usd: float
    subagent_cost_usd: float


@dataclass(frozen=True)
class OtherAttemptFacts:
    number: int
    finish_reason: str
    winner: str | None
    accepted: bool = False
    presented_by: str | None = None  # whose answer post-evaluation rejected, for a restarted attempt
    restart_reason: str | None = None
    started_at: datetime | None = None
    duration_seconds: float | None = None


@dataclass(frozen=True)
class ProviderRetryFacts:
    agent: str | None
    message: str
    source: str


@dataclass(frozen=True)
class RunFacts:
    session_id: str
    massgen_version: str | None
    turn: int
    turns: int
    attempt: int
    accepted: bool
    complete: bool
    finish_reason: str
    finish_details: str | None
    question: str | None
    started_at: datetime | None
    duration_seconds: float | None
    winner: str | None
    final_answer_bytes: int | None
    agents: tuple[AgentFacts, ...]
    answers: tuple[AnswerFacts, ...]
    votes: tuple[VoteFacts, ...]
    errors: tuple[ErrorFacts, ...]
    rounds: tuple[RoundFacts, ...]
    rounds_by_outcome: tuple[tuple[str, int], ...]
    tools: tuple[ToolFacts, ...]
    tool_calls: int
    tool_failures: int
    failed_tool_calls: tuple[FailedToolCall, ...]
    reliability: tuple[ReliabilityFacts, ...]
    enforcement: tuple[EnforcementFacts, ...]
    enforcement_by_round: tuple[EnforcementRoundFacts, ...]
    events: tuple[EventFacts, ...]
    totals: TotalsFacts
    subagents: tuple[SubagentFacts, ...]
    other_attempts: tuple[OtherAttemptFacts, ...]
    warnings: tuple[str, ...]
    usage_recorded: bool = True  # False: no file records tokens or costs (MassGen before 0.1.8)
    tools_recorded: bool = True
    restarts: int = 0  # restart_completed events, all agents
    restart_triggers: int = 0
    presented_by: str | None = None
    restart_reason: str | None = None  # why this attempt was restarted, when it was
    likely_crash: bool = False
    tracker_reset: bool = False
    provider_retries: tuple[ProviderRetryFacts, ...] = ()
    api_timing: ApiTimingFacts | None = None
    avg_context_usage_pct: float | None = None
    peak_context_usage_pct: tuple[tuple[str, float], ...] = ()
    analysis_report: str | None = None  # the turn's ANALYSIS_REPORT.md, relative to the session root
    subagent_statuses: tuple[tuple[str, str | None], ...] = ()

    @property
    def not_recorded(self) -> str:
        """How the digest says a figure is unknown: never as 0 or $0."""
        return f"not recorded by MassGen {self.massgen_version or '(unknown version)'}"

    @property
    def ignored_votes(self) -> tuple[EventFacts, ...]:
        return tuple(event for event in self.events if event.kind == "vote_ignored")

    @property
    def restart_events(self) -> tuple[EventFacts, ...]:
        return tuple(event for event in self.events if event.kind == "restart")

    @property
    def timeouts(self) -> tuple[ErrorFacts, ...]:
        return tuple(error for error in self.errors if error.kind == "timeout")

    def agent(self, agent_id: str) -> AgentFacts | None:
        return next((agent for agent in self.agents if agent.id == agent_id), None)


class AttemptNotFound(LookupError):
    pass


def select_attempt(session: Session, turn: int | None = None, attempt: int | None = None) -> tuple[Turn, Attempt]:
    """The turn (the first by default: the run's own question, as the run pages
    show it; follow-ups are chosen explicitly) and its attempt (the accepted one
    by default)."""
    if not session.turns:
        raise AttemptNotFound(f"{session.session_id} has no turns")
    if turn is None:
        chosen_turn = session.turns[0]
    else:
        chosen_turn = next((t for t in session.turns if t.number == turn), None)
        if chosen_turn is None:
            raise AttemptNotFound(f"{session.session_id} has no turn {turn}")
    if attempt is None:
        return chosen_turn, chosen_turn.accepted_attempt
    chosen = next((a for a in chosen_turn.attempts if a.number == attempt), None)
    if chosen is None:
        raise AttemptNotFound(f"turn {chosen_turn.number} of {session.session_id} has no attempt {attempt}")
    return chosen_turn, chosen


def run_facts(session: Session, turn: int | None = None, attempt: int | None = None) -> RunFacts:
    chosen_turn, chosen = select_attempt(session, turn, attempt)
    voters = _voters_by_label(chosen)
    enforcement = _enforcement(chosen)
    return RunFacts(
        session_id=session.session_id,
        massgen_version=session.massgen_version,
        turn=chosen_turn.number,
        turns=len(session.turns),
        attempt=chosen.number,
        accepted=chosen.accepted,
        complete=chosen.complete,
        finish_reason=chosen.finish_reason,
        finish_details=chosen.finish_details,
        question=chosen.question,
        started_at=chosen.started_at,
        duration_seconds=chosen.duration_seconds,
        winner=chosen.winner,
        final_answer_bytes=None if chosen.final_answer is None else chosen.final_answer.size,
        agents=tuple(_agent(chosen, agent) for agent in chosen.agents),
        answers=tuple(
            AnswerFacts(
                label=answer.label,
                agent=answer.agent,
                at=answer.at,
                round=answer.round,
                size_bytes=None if answer.text is None else answer.text.size,
                voters=tuple(voters.get(answer.label, ())),
            )
            for answer in chosen.answers
        ),
        votes=tuple(
            VoteFacts(vote.voter, vote.voted_for, vote.label, vote.reason, vote.at, vote.round) for vote in chosen.votes
        ),
        errors=tuple(ErrorFacts(e.agent, e.kind, e.message, e.at, e.source) for e in chosen.errors),
        rounds=tuple(
            RoundFacts(
                agent=r.agent,
                number=r.number,
                type=r.type,
                outcome=r.outcome,
                input_tokens=r.input_tokens,
                output_tokens=r.output_tokens,
                reasoning_tokens=r.reasoning_tokens,
                cached_input_tokens=r.cached_input_tokens,
                cost_usd=r.cost_usd,
                duration_ms=r.duration_ms,
                token_source=r.token_source,
            )
            for r in chosen.rounds
        ),
        rounds_by_outcome=tuple(sorted(chosen.rounds_by_outcome.items())),
        tools=tuple(ToolFacts(t.name, t.calls, t.failures, t.total_ms) for t in chosen.tools),
        tool_calls=chosen.tool_calls,
        tool_failures=chosen.tool_failures,
        failed_tool_calls=failed_tool_calls(chosen),
        reliability=tuple(
            ReliabilityFacts(r.agent, r.total_retries, r.buffer_chars_lost, r.workflow_errors, r.outcome)
            for r in chosen.reliability
        ),
        enforcement=enforcement,
        enforcement_by_round=_enforcement_by_round(enforcement),
        events=tuple(
            EventFacts(event.at, event.kind, event.agent, event.details)
            for event in chosen.events
            if event.kind in NOTABLE_EVENT_KINDS
        ),
        totals=TotalsFacts(
            input_tokens=chosen.totals.input_tokens,
            output_tokens=chosen.totals.output_tokens,
            reasoning_tokens=chosen.totals.reasoning_tokens,
            cached_input_tokens=chosen.totals.cached_input_tokens,
            cost_usd=chosen.totals.cost_usd,
            subagent_cost_usd=chosen.totals.subagent_cost_usd,
        ),
        subagents=tuple(SubagentFacts(s.id, s.input_tokens, s.output_tokens, s.cost_usd) for s in chosen.subagents),
        other_attempts=tuple(
            OtherAttemptFacts(
                other.number,
                other.finish_reason,
                other.winner,
                accepted=other.accepted,
                presented_by=other.presented_by,
                restart_reason=other.restart_reason,
                started_at=other.started_at,
                duration_seconds=other.duration_seconds,
            )
            for other in chosen_turn.attempts
            if other.number != chosen.number
        ),
        warnings=(*session.warnings, *chosen.warnings),
        usage_recorded=chosen.totals.recorded,
        tools_recorded=chosen.tools_recorded,
        restarts=sum(agent.restarts for agent in chosen.agents),
        restart_triggers=chosen.restart_triggers,
        presented_by=chosen.presented_by,
        restart_reason=chosen.restart_reason,
        likely_crash=chosen.likely_crash,
        tracker_reset=chosen.tracker_reset,
        provider_retries=tuple(ProviderRetryFacts(r.agent, r.message, r.source) for r in chosen.provider_retries),
        api_timing=_api_timing(chosen),
        avg_context_usage_pct=chosen.context_usage.avg_pct if chosen.context_usage else None,
        peak_context_usage_pct=tuple(sorted(chosen.context_usage.peak_pct_by_agent.items())) if chosen.context_usage else (),
        analysis_report=chosen_turn.analysis_report.path if chosen_turn.analysis_report else None,
        subagent_statuses=tuple((s.id, s.status) for s in chosen.subagents),
    )


def _api_timing(attempt: Attempt) -> ApiTimingFacts | None:
    return attempt.api_timing  # the reader's record is already frozen facts


def _voters_by_label(attempt: Attempt) -> dict[str, list[str]]:
    voters: dict[str, list[str]] = defaultdict(list)
    for vote in attempt.votes:
        if vote.label:
            voters[vote.label].append(vote.voter)
    return voters


def _agent(attempt: Attempt, agent: Agent) -> AgentFacts:
    return AgentFacts(
        id=agent.id,
        backend=agent.backend,
        model=agent.model,
        status=agent.status,
        answer_labels=tuple(answer.label for answer in attempt.answers if answer.agent == agent.id),
        votes_cast=agent.votes_cast,
        times_restarted=agent.times_restarted,
        errors=agent.errors,
        enforcement_retries=agent.enforcement_retries,
        input_tokens=agent.input_tokens,
        output_tokens=agent.output_tokens,
        reasoning_tokens=agent.reasoning_tokens,
        cached_input_tokens=agent.cached_input_tokens,
        cost_usd=agent.cost_usd,
        restarts=agent.restarts,
        provider_retries=agent.provider_retries,
        usage_recorded=agent.usage_recorded,
        enforcement_recorded=agent.enforcement_recorded,
    )


def _enforcement(attempt: Attempt) -> tuple[EnforcementFacts, ...]:
    return tuple(
        EnforcementFacts(reliability.agent, e.round, e.attempt, e.reason, e.error_message, e.buffer_chars)
        for reliability in attempt.reliability
        for e in reliability.attempts
    )


def _enforcement_by_round(enforcement: tuple[EnforcementFacts, ...]) -> tuple[EnforcementRoundFacts, ...]:
    grouped: dict[tuple[str, int | None], list[EnforcementFacts]] = {}
    for entry in enforcement:
        grouped.setdefault((entry.agent, entry.round), []).append(entry)
    return tuple(
        EnforcementRoundFacts(
            agent=agent,
            round=round_number,
            attempts=len(entries),
            buffer_chars_lost=sum(entry.buffer_chars for entry in entries),
            reasons=tuple(entry.reason for entry in entries),
        )
        for (agent, round_number), entries in grouped.items()
    )
