"""Geometry of the token and cost bar charts, computed from plain data and drawn
by `templates/runs/_bars.html`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Beyond this many bars a chart stops being readable; the rest are counted.
MAX_BARS = 80

WIDTH = 580
GUTTER = 190
COST_COLUMN = 70
ROW_HEIGHT = 24
BAR_HEIGHT = 14
GROUP_HEIGHT = 26
TOP_PAD = 6
AXIS_HEIGHT = 26
TARGET_TICKS = 5


@dataclass(frozen=True, slots=True)
class Usage:
    label: str
    group: str  # rows of one group are drawn together under its name; "" for none
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True, slots=True)
class Segment:
    kind: str  # cached, input, output
    x: float
    width: float


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    y: float
    segments: tuple[Segment, ...]
    end_x: float
    cost_text: str
    title: str


@dataclass(frozen=True, slots=True)
class GroupHeading:
    name: str
    y: float


@dataclass(frozen=True, slots=True)
class Tick:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    label_x: float
    plot_left: float
    plot_right: float
    cost_x: float
    axis_y: float
    bar_height: int
    bars: tuple[Bar, ...]
    groups: tuple[GroupHeading, ...]
    ticks: tuple[Tick, ...]
    total: int
    drawn: int

    @property
    def truncated(self) -> bool:
        return self.drawn < self.total


def compact_number(value: float) -> str:
    """1234 -> 1.2k, 2500000 -> 2.5M; the chart axis has no room for more."""
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:g}"


def format_cost(value: float) -> str:
    if value == 0:
        return "$0"
    return f"${value:.4f}" if value < 1 else f"${value:,.2f}"


def nice_step(maximum: float) -> float:
    raw = maximum / TARGET_TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def build_bars(rows: Sequence[Usage]) -> BarChart:
    drawn = list(rows[:MAX_BARS])
    maximum = max((row.total for row in drawn), default=0) or 1
    step = nice_step(maximum)
    scale_max = math.ceil(maximum / step) * step
    plot_left, plot_right = GUTTER, WIDTH - COST_COLUMN

    def x_of(value: float) -> float:
        return round(plot_left + value / scale_max * (plot_right - plot_left), 1)

    bars, groups, y, group = [], [], TOP_PAD, None
    for row in drawn:
        if row.group and row.group != group:
            group = row.group
            groups.append(GroupHeading(group, y + GROUP_HEIGHT - 9))
            y += GROUP_HEIGHT
        uncached = max(row.input_tokens - row.cached_input_tokens, 0)
        cached = row.input_tokens - uncached
        segments, start = [], 0
        for kind, amount in (("cached", cached), ("input", uncached), ("output", row.output_tokens)):
            if amount:
                segments.append(Segment(kind, x_of(start), round(x_of(start + amount) - x_of(start), 1)))
                start += amount
        bars.append(Bar(row.label, y + (ROW_HEIGHT - BAR_HEIGHT) / 2, tuple(segments), x_of(start),
                        format_cost(row.cost_usd), _title(row)))
        y += ROW_HEIGHT
    ticks = tuple(Tick(x_of(n * step), compact_number(n * step)) for n in range(int(scale_max / step) + 1))
    return BarChart(
        width=WIDTH,
        height=int(y + AXIS_HEIGHT),
        label_x=GUTTER - 10,
        plot_left=plot_left,
        plot_right=plot_right,
        cost_x=WIDTH - 4,
        axis_y=y + 2,
        bar_height=BAR_HEIGHT,
        bars=tuple(bars),
        groups=tuple(groups),
        ticks=ticks,
        total=len(rows),
        drawn=len(drawn),
    )


def _title(row: Usage) -> str:
    parts = [f"{row.input_tokens:,} input"]
    if row.cached_input_tokens:
        parts.append(f"{row.cached_input_tokens:,} of them cached")
    parts.append(f"{row.output_tokens:,} output")
    if row.reasoning_tokens:
        parts.append(f"{row.reasoning_tokens:,} reasoning")
    name = f"{row.group} · {row.label}" if row.group else row.label
    return f"{name}: {', '.join(parts)} tokens, {format_cost(row.cost_usd)}"
