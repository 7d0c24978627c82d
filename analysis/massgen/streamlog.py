"""What the reader keeps from an event stream (events.jsonl from 0.1.46,
streaming_debug.log up to 0.1.44): aggregate counters and the few
coordination-level records, never the stream itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from analysis.massgen.model import Answer, RunError, TimelineEvent, ToolStat, Vote

# Calls to these are MassGen's coordination protocol, not tool use; MassGen's
# own tool metrics leave them out, and so does the reader.
WORKFLOW_TOOLS = frozenset({"new_answer", "vote", "submit", "stop", "post_evaluation", "restart_orchestration"})

# A record type that appears more often than this in one stream is not kept
# beyond it (the counters still count everything).
MAX_STREAM_RECORDS = 20_000
_MAX_REPORTED_BAD_LINES = 5
# Distinct tool names counted by name; a stream inventing more is hostile,
# and the rest are counted as "other".
_MAX_EVENT_KINDS = 200


@dataclass(slots=True)
class ToolCounter:
    calls: int = 0
    completions: int = 0
    failures: int = 0
    total_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class ProviderRetry:
    """A provider error MassGen retried itself ("Rate limited ... Retrying attempt 2/5")."""

    agent: str | None
    at: datetime | None
    message: str


@dataclass(slots=True)
class StreamLog:
    name: str
    first_time: datetime | None = None
    last_time: datetime | None = None
    span_seconds: float | None = None  # from the first to the last line
    bad_lines: list[int] = field(default_factory=list)  # line numbers, the first few
    bad_line_count: int = 0
    overlong_lines: int = 0
    answers: list[Answer] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    errors: list[RunError] = field(default_factory=list)
    timeline: list[TimelineEvent] = field(default_factory=list)
    tools: dict[str, ToolCounter] = field(default_factory=dict)
    final_agent: str | None = None
    provider_retries: list[ProviderRetry] = field(default_factory=list)
    # Events of orchestration post-evaluation, and whether one gave a verdict.
    post_evaluation_started: bool = False
    post_evaluation_verdict: bool = False
    truncated_records: bool = False

    def wants_line_number(self) -> bool:
        """Whether the next unreadable line's number is reported (counting costs)."""
        return len(self.bad_lines) < _MAX_REPORTED_BAD_LINES

    def bad_line(self, number: int) -> None:
        self.bad_line_count += 1
        if len(self.bad_lines) < _MAX_REPORTED_BAD_LINES:
            self.bad_lines.append(number)

    def add(self, records: list[Any], record: Any) -> None:
        if len(records) < MAX_STREAM_RECORDS:
            records.append(record)
        else:
            self.truncated_records = True

    def full(self, *kinds: list[Any]) -> bool:
        """Whether none of these record lists takes another record; the log is
        then marked cut short, as `add` would mark it, so that a caller can
        skip building a record nothing keeps."""
        if any(len(records) < MAX_STREAM_RECORDS for records in kinds):
            return False
        self.truncated_records = True
        return True

    def tool(self, name: str) -> ToolCounter | None:
        if name in WORKFLOW_TOOLS:
            return None
        if name not in self.tools and len(self.tools) >= _MAX_EVENT_KINDS:
            name = "other"
        counter = self.tools.get(name)
        if counter is None:
            counter = self.tools[name] = ToolCounter()
        return counter

    def tool_stats(self) -> tuple[ToolStat, ...]:
        return tuple(
            ToolStat(name, max(counter.calls, counter.completions), counter.failures, counter.total_seconds * 1000.0)
            for name, counter in sorted(self.tools.items())
        )

    @property
    def warnings(self) -> list[str]:
        notes = []
        if self.bad_line_count:
            shown = ", ".join(map(str, self.bad_lines))
            notes.append(f"{self.name}: {self.bad_line_count} unreadable line(s) skipped (first: line {shown})")
        if self.overlong_lines:
            notes.append(f"{self.name}: {self.overlong_lines} over-long line(s) skipped")
        if self.truncated_records:
            notes.append(f"{self.name}: more than {MAX_STREAM_RECORDS} records of one kind; the rest were counted, not kept")
        return notes
