"""coordination_events.json: the complete, ordered record of answers, votes,
restarts, errors and the final selection (status.json keeps only each agent's
first vote). Written only at the end of coordination; read as a stream so a
file cut off mid-write still gives everything before the cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis.massgen.clock import RunClock, as_epoch
from analysis.massgen.errors import RunFormatError
from analysis.massgen.figures import as_dict, as_int, as_list, as_str
from analysis.massgen.jsonstream import iter_json_stream
from analysis.massgen.model import MAX_DETAILS_CHARS, MAX_REASON_CHARS, Answer, RunError, TimelineEvent, Vote
from analysis.redaction.scrub import scrub_excerpt

# The timeline keeps coordination-level events only, and at most this many.
MAX_TIMELINE_EVENTS = 10_000
# Answers, votes and errors are kept in full up to this many each; a real run
# has a few dozen.
MAX_COORDINATION_RECORDS = 100_000

# Events some versions (0.1.1) write twice; the last one stands.
_LAST_ONE_COUNTS = frozenset({"final_agent_selected", "final_answer", "session_end"})
_TIMELINE_KINDS = {
    "session_start": "session_start",
    "new_answer": "answer",
    "vote_cast": "vote",
    "vote_ignored": "vote_ignored",
    "restart_triggered": "restart",
    "agent_error": "error",
    "agent_timeout": "timeout",
    "final_agent_selected": "final_selected",
    "final_answer": "final_answer",
    "session_end": "session_end",
}


@dataclass(slots=True)
class CoordinationLog:
    question: str | None = None
    agent_ids: tuple[str, ...] = ()
    start_time: float | None = None  # epoch
    end_time: float | None = None
    final_winner: str | None = None
    final_label: str | None = None
    answers: list[Answer] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    last_time: float | None = None  # of the last event read
    # restart_completed events per agent: how often each agent was restarted.
    restarts: dict[str, int] = field(default_factory=dict)
    # restart_triggered events: (triggering agent, agents affected, epoch)
    restart_triggers: list[tuple[str | None, int, float | None]] = field(default_factory=list)
    session_end_time: float | None = None  # of the last session_end
    complete: bool = True
    warnings: list[str] = field(default_factory=list)


class _Collector:
    def __init__(self, name: str, clock: RunClock):
        self.name = name
        self.clock = clock
        self.log = CoordinationLog()
        self._overflowed: set[str] = set()
        self._seen_session_start = False
        self._final_selected: str | None = None

    def _keep(self, records: list[Any], what: str, limit: int) -> bool:
        if len(records) < limit:
            return True
        if what not in self._overflowed:
            self._overflowed.add(what)
            self.log.warnings.append(f"{self.name}: more than {limit} {what}; the rest were not kept")
        return False

    def metadata(self, raw: Any) -> None:
        raw = as_dict(raw)
        self.log.question = as_str(raw.get("user_prompt"))
        self.log.agent_ids = tuple(str(agent) for agent in as_list(raw.get("agent_ids")) if isinstance(agent, str))
        self.log.start_time = as_epoch(raw.get("start_time"))
        self.log.end_time = as_epoch(raw.get("end_time"))
        self.log.final_winner = as_str(raw.get("final_winner"))

    def event(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        kind = as_str(raw.get("event_type"))
        epoch = as_epoch(raw.get("timestamp"))
        if epoch is not None:
            self.log.last_time = epoch
        if kind == "restart_completed":
            agent_id = as_str(raw.get("agent_id"))
            if agent_id and (agent_id in self.log.restarts or len(self.log.restarts) < MAX_COORDINATION_RECORDS):
                self.log.restarts[agent_id] = self.log.restarts.get(agent_id, 0) + 1
            return
        if kind == "restart_triggered" and len(self.log.restart_triggers) < MAX_COORDINATION_RECORDS:
            affected = as_list(as_dict(raw.get("context")).get("affected_agents"))
            self.log.restart_triggers.append((as_str(raw.get("agent_id")), len(affected), epoch))
        if kind == "session_end" and epoch is not None:
            self.log.session_end_time = epoch
        timeline_kind = _TIMELINE_KINDS.get(kind or "")
        if timeline_kind is None:
            return
        if kind == "session_start":
            # MassGen logs session_start twice; the first one is the start.
            if self._seen_session_start:
                return
            self._seen_session_start = True
        at = self.clock.from_epoch(epoch)
        agent = as_str(raw.get("agent_id"))
        context = as_dict(raw.get("context"))
        details = scrub_excerpt(as_str(raw.get("details")) or "", MAX_DETAILS_CHARS)
        round_number = as_int(context.get("round"))
        label = as_str(context.get("label")) or as_str(context.get("voted_for_label"))
        log = self.log
        if kind == "new_answer" and agent and label and self._keep(log.answers, "answers", MAX_COORDINATION_RECORDS):
            log.answers.append(Answer(label=label, agent=agent, at=at, round=round_number, text=None))
        elif kind == "vote_cast" and agent and self._keep(log.votes, "votes", MAX_COORDINATION_RECORDS):
            log.votes.append(
                Vote(
                    voter=agent,
                    voted_for=as_str(context.get("voted_for")),
                    label=as_str(context.get("voted_for_label")),
                    reason=scrub_excerpt(as_str(context.get("reason")) or "", MAX_REASON_CHARS),
                    at=at,
                    round=round_number,
                )
            )
        elif kind in ("agent_error", "agent_timeout"):
            # "ERROR: <message>": the timeline and the error list both keep the message.
            details = details.split(": ", 1)[1] if details.upper().startswith(("ERROR: ", "TIMEOUT: ")) else details
            if self._keep(log.errors, "errors", MAX_COORDINATION_RECORDS):
                error_kind = "timeout" if kind == "agent_timeout" else "error"
                log.errors.append(RunError(agent=agent, kind=error_kind, message=details, at=at, source=self.name))
        elif kind == "final_agent_selected" and agent:
            self._final_selected = agent
        elif kind == "final_answer":
            log.final_label = label
        if self._keep(log.timeline, "timeline events", MAX_TIMELINE_EVENTS):
            log.timeline.append(TimelineEvent(at=at, kind=timeline_kind, agent=agent, label=label, details=details))


def _last_ones(timeline: list[TimelineEvent]) -> list[TimelineEvent]:
    """The timeline with only the last of each event some versions write twice."""
    kinds = {_TIMELINE_KINDS[kind] for kind in _LAST_ONE_COUNTS}
    last = {event.kind: index for index, event in enumerate(timeline) if event.kind in kinds}
    return [event for index, event in enumerate(timeline) if event.kind not in kinds or last[event.kind] == index]


def read_coordination(path: Path, name: str, clock: RunClock) -> CoordinationLog:
    """Everything readable; a file that stops being readable part-way gives
    a partial log with `complete` False and a warning saying where."""
    collector = _Collector(name, clock)
    events_seen = False
    try:
        for key, value in iter_json_stream(path, name, stream_key="events"):
            if key == "events":
                events_seen = True
                collector.event(value)
            elif key == "session_metadata":
                collector.metadata(value)
    except RunFormatError as exc:
        if not events_seen:
            raise
        collector.log.complete = False
        collector.log.warnings.append(f"{exc}; only the events before that point were used")
    log = collector.log
    log.timeline = _last_ones(log.timeline)
    # session_metadata's winner first, else the last final_agent_selected.
    log.final_winner = log.final_winner or collector._final_selected
    if log.end_time is None and log.session_end_time is not None:
        log.end_time = log.session_end_time
    return log
