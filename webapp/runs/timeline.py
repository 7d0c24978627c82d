"""Geometry of the coordination timeline, computed from plain data.

The builder only decides where things go; `templates/runs/_timeline.svg` draws
them, so every piece of log text reaches the page through Django's autoescape.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from webapp.runs.charts import Tick  # the axis mark both drawings share

# A timeline this dense is unreadable anyway and the page must stay fast: past
# the cap, answers and final votes are kept and the rest is counted, not drawn.
MAX_DRAWN_MARKS = 1500

WIDTH = 1200
GUTTER = 170  # room for the lane labels
RIGHT_PAD = 24
TOP_PAD = 22
LANE_HEIGHT = 64
AXIS_HEIGHT = 34
TONES = 8  # distinct lane colours in runs.css (.tone-0 ... .tone-7)
MAX_TICKS = 10
ANSWER_RADIUS = 9  # the answer mark's radius plus its outline, where vote arrows stop
# Tick steps people read easily, in seconds.
TICK_STEPS = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
)
EVENT_KINDS = ("restart", "error", "timeout", "vote_ignored", "final_selected")
# coordination_events.json's restart_triggered (read as a "restart" event) is on the
# agent whose new answer restarted the others, not a restart of that agent: its
# details say so. It is counted, never drawn as ↻ on the trigger's lane; the real
# restarts are per-agent counts (the Agents table) or the stream's agent_restart events.
RESTART_TRIGGER = "restart_trigger"
_TRIGGER_DETAILS = "Triggered restart"


@dataclass(frozen=True, slots=True)
class AnswerPoint:
    agent: str
    label: str
    at: datetime | None
    anchor: str = ""  # id of the answer in the answers list


@dataclass(frozen=True, slots=True)
class VotePoint:
    voter: str
    label: str | None  # the answer voted for, agentN.M
    voted_for: str | None
    reason: str
    at: datetime | None
    anchor: str = ""  # id of the vote in the votes list


@dataclass(frozen=True, slots=True)
class EventPoint:
    kind: str  # one of EVENT_KINDS; others are not drawn
    agent: str | None
    at: datetime | None
    details: str


def as_drawn(event: EventPoint) -> EventPoint:
    """A restart trigger becomes RESTART_TRIGGER, which is counted but not drawn."""
    if event.kind == "restart" and event.details.startswith(_TRIGGER_DETAILS):
        return EventPoint(RESTART_TRIGGER, event.agent, event.at, event.details)
    return event


@dataclass(frozen=True, slots=True)
class Lane:
    agent: str
    subtitle: str
    y: float
    top: float
    tone: int


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str
    agent: str
    tone: int
    x: float
    y: float
    text: str  # short label drawn next to the mark
    title: str  # the tooltip
    anchor: str


@dataclass(frozen=True, slots=True)
class VoteArrow:
    voter: str
    target: str
    tone: int
    x1: float
    y1: float
    x2: float
    y2: float
    path: str  # an SVG path from voter to the answer voted for
    title: str
    anchor: str
    final: bool  # the voter's last vote; earlier ones were replaced


@dataclass(frozen=True, slots=True)
class Timeline:
    width: int
    height: int
    lane_height: int
    label_x: float
    plot_top: float
    plot_left: float
    plot_right: float
    axis_y: float
    span_seconds: float
    lanes: tuple[Lane, ...]
    markers: tuple[Marker, ...]
    arrows: tuple[VoteArrow, ...]
    ticks: tuple[Tick, ...]
    total: int
    drawn: int
    untimed: int  # items with no time, which cannot be placed
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return self.drawn < self.total - self.untimed


def format_offset(seconds: float) -> str:
    """`0s`, `45s`, `2m`, `2m30s`, `1h05m`; tenths below ten seconds when needed."""
    if seconds < 10 and seconds != int(seconds):
        return f"{seconds:.1f}s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m" if secs == 0 else f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h" if minutes == 0 else f"{hours}h{minutes:02d}m"


def tick_step(span: float) -> float:
    for step in TICK_STEPS:
        if span / step <= MAX_TICKS:
            return step
    return TICK_STEPS[-1] * math.ceil(span / TICK_STEPS[-1] / MAX_TICKS)


def build_timeline(
    agents: Sequence[tuple[str, str]],
    answers: Sequence[AnswerPoint],
    votes: Sequence[VotePoint],
    events: Sequence[EventPoint] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> Timeline:
    """`agents` are (id, subtitle) pairs in lane order. Lanes are added for
    agents that only appear in the data, so nothing is dropped silently."""
    events = [as_drawn(event) for event in events]
    lane_order = list(dict.fromkeys([agent for agent, _ in agents]))
    subtitles = dict(agents)
    for agent in [a.agent for a in answers] + [v.voter for v in votes] + [e.agent for e in events if e.agent]:
        if agent not in subtitles:
            subtitles[agent] = ""
            lane_order.append(agent)
    lanes = tuple(
        Lane(agent, subtitles[agent], TOP_PAD + LANE_HEIGHT * (i + 0.5), TOP_PAD + LANE_HEIGHT * i, i % TONES)
        for i, agent in enumerate(lane_order)
    )
    lane_y = {lane.agent: lane.y for lane in lanes}
    tone = {lane.agent: lane.tone for lane in lanes}

    times = [item.at for item in (*answers, *votes, *events) if item.at is not None]
    first = start or (min(times) if times else None)
    last = max([*times, *([end] if end else [])]) if times or end else first
    span = max((last - first).total_seconds(), 1.0) if first and last else 1.0
    plot_left, plot_right = GUTTER, WIDTH - RIGHT_PAD

    def x_of(at: datetime) -> float:
        offset = min(max((at - first).total_seconds(), 0.0), span)
        return round(plot_left + offset / span * (plot_right - plot_left), 1)

    def offset_text(at: datetime) -> str:
        return f"+{format_offset(max((at - first).total_seconds(), 0.0))}"

    final_votes = _final_votes(votes)
    kept_answers, kept_votes, kept_events = _within_cap(answers, votes, events, final_votes)

    markers: list[Marker] = []
    answer_at: dict[str, tuple[float, float]] = {}
    for answer in kept_answers:
        x, y = x_of(answer.at), lane_y[answer.agent]
        answer_at[answer.label] = (x, y)
        markers.append(Marker("answer", answer.agent, tone[answer.agent], x, y, _short_label(answer.label),
                              f"{answer.label} by {answer.agent} at {offset_text(answer.at)}", answer.anchor))
    for event in kept_events:
        if event.agent is None or event.kind not in EVENT_KINDS:
            continue
        markers.append(Marker(event.kind, event.agent, tone[event.agent], x_of(event.at), lane_y[event.agent], "",
                              _event_title(event, offset_text(event.at)), ""))

    answers_by_agent: dict[str, list[AnswerPoint]] = {}
    for answer in sorted(kept_answers, key=lambda a: a.at):
        answers_by_agent.setdefault(answer.agent, []).append(answer)
    arrows = []
    for index, vote in kept_votes:
        x1, y1 = x_of(vote.at), lane_y[vote.voter]
        x2, y2 = _vote_target(vote, answer_at, answers_by_agent, lane_y, x1, x_of)
        target = vote.label or vote.voted_for or "?"
        reason = f": {vote.reason}" if vote.reason else ""
        title = f"{vote.voter} votes for {target} at {offset_text(vote.at)}{reason}"
        arrows.append(VoteArrow(vote.voter, target, tone[vote.voter], x1, y1, x2, y2, _curve(x1, y1, x2, y2), title,
                                vote.anchor, index in final_votes))
        markers.append(Marker("vote", vote.voter, tone[vote.voter], x1, y1, "", title, vote.anchor))

    axis_y = TOP_PAD + LANE_HEIGHT * len(lanes) + 6
    step = tick_step(span)
    ticks = tuple(
        Tick(round(plot_left + n * step / span * (plot_right - plot_left), 1), format_offset(n * step))
        for n in range(int(span // step) + 1)
    )
    total = len(answers) + len(votes) + sum(1 for e in events if e.kind in EVENT_KINDS and e.agent)
    untimed = sum(1 for item in (*answers, *votes, *events) if item.at is None)
    counts = {"answers": len(answers), "votes": len(votes)}
    for event in events:
        counts[event.kind] = counts.get(event.kind, 0) + 1
    return Timeline(
        width=WIDTH,
        height=int(axis_y + AXIS_HEIGHT),
        lane_height=LANE_HEIGHT,
        label_x=GUTTER - 14,
        plot_top=TOP_PAD,
        plot_left=plot_left,
        plot_right=plot_right,
        axis_y=axis_y,
        span_seconds=span,
        lanes=lanes,
        markers=tuple(markers),
        arrows=tuple(arrows),
        ticks=ticks,
        total=total,
        drawn=len(kept_answers) + len(kept_votes) + len(kept_events),
        untimed=untimed,
        counts=counts,
    )


def _final_votes(votes: Sequence[VotePoint]) -> set[int]:
    last: dict[str, int] = {}
    for index, vote in enumerate(votes):
        last[vote.voter] = index
    return set(last.values())


def _within_cap(answers, votes, events, final_votes):
    """Timed items up to MAX_DRAWN_MARKS, most telling first: answers, final
    votes, restarts and errors, then replaced votes."""
    budget = MAX_DRAWN_MARKS
    kept_answers = [a for a in answers if a.at is not None][:budget]
    budget -= len(kept_answers)
    timed_votes = [(i, v) for i, v in enumerate(votes) if v.at is not None]
    finals = [(i, v) for i, v in timed_votes if i in final_votes][:budget]
    budget -= len(finals)
    kept_events = [e for e in events if e.at is not None and e.agent and e.kind in EVENT_KINDS][:budget]
    budget -= len(kept_events)
    replaced = [(i, v) for i, v in timed_votes if i not in final_votes][: max(budget, 0)]
    return kept_answers, sorted(finals + replaced, key=lambda pair: pair[0]), kept_events


def _vote_target(vote, answer_at, answers_by_agent, lane_y, x1, x_of) -> tuple[float, float]:
    """Where the arrow ends: the answer voted for, else the voted-for agent's
    latest answer before the vote, else that agent's lane at the vote's time."""
    if vote.label in answer_at:
        return answer_at[vote.label]
    if vote.voted_for in lane_y:
        theirs = answers_by_agent.get(vote.voted_for, [])
        earlier = bisect_right(theirs, vote.at, key=lambda a: a.at)
        if earlier:
            return x_of(theirs[earlier - 1].at), lane_y[vote.voted_for]
        return x1, lane_y[vote.voted_for]
    return x1, lane_y[vote.voter]


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A quadratic arc from the vote to the answer, bulging sideways so votes
    within one lane stay visible, and stopping at the answer mark's edge so the
    arrowhead shows."""
    if (x1, y1) == (x2, y2):
        return f"M{x1},{y1} m-7,-7 a10,10 0 1,1 0,0.1"
    same_lane = y1 == y2
    bulge = max(18.0, abs(x2 - x1) * 0.25) if same_lane else 24.0
    cx, cy = (x1 + x2) / 2 - (0 if same_lane else bulge), (y1 + y2) / 2 - (bulge if same_lane else 0)
    dx, dy = x2 - cx, y2 - cy
    length = math.hypot(dx, dy) or 1.0
    ex, ey = x2 - dx / length * ANSWER_RADIUS, y2 - dy / length * ANSWER_RADIUS
    return f"M{x1},{y1} Q{round(cx, 1)},{round(cy, 1)} {round(ex, 1)},{round(ey, 1)}"


def _short_label(label: str) -> str:
    # "agent2.1" -> "2.1": the lane already names the agent.
    return label.removeprefix("agent") if label.startswith("agent") else label


def _event_title(event: EventPoint, when: str) -> str:
    names = {"restart": "restarted", "error": "error", "timeout": "timed out", "vote_ignored": "vote ignored",
             "final_selected": "selected as winner"}
    details = f": {event.details}" if event.details else ""
    return f"{event.agent} {names[event.kind]} at {when}{details}"
