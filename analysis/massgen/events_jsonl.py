"""events.jsonl (MassGen >= 0.1.46): one JSON event per line.

Most lines are streaming chunks (`text`, `thinking`) the reader has no use for.
They are recognised a block of lines at a time by one search, and of the rest
only the few coordination-level events are decoded; this is what keeps the
reader near the speed of a bare line split of the file."""

from __future__ import annotations

import functools
import math
import re
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson

from analysis.massgen.clock import RunClock, parse_local_iso
from analysis.massgen.figures import as_dict, as_float, as_str
from analysis.massgen.events_scan import CANONICAL_KIND, LineFinder
from analysis.massgen.lines import LineReader
from analysis.massgen.model import MAX_DETAILS_CHARS, MAX_REASON_CHARS, Answer, RunError, TimelineEvent, Vote
from analysis.massgen.streamlog import ProviderRetry, StreamLog
from analysis.redaction.scrub import scrub_excerpt

# High-volume or uninformative event types, skipped unread. Any type
# not listed here is decoded, so new MassGen event types are never missed.
_COUNTED_ONLY = frozenset(
    {
        b"text",
        b"thinking",
        b"final_presentation_chunk",
        b"evaluation_criteria_set",
        b"hook_execution",
        b"injection_received",
        b"context_received",
        b"system_status",
        b"workspace_action",
        b"round_start",
        b"round_end",
        b"answer_locked",
        b"final_presentation_end",
    }
)
# Coordination records that coordination_events.json holds too: decoded only
# when that file is missing or cut short.
_RECORD_TYPES = frozenset({b"answer_submitted", b"vote", b"agent_restart", b"final_presentation_start", b"final_answer"})
# MassGen writes `"event_type": "text"`; compact JSON writers drop the space.
_TYPE_KEYS = (b'"event_type": "', b'"event_type":"')
_TIME_KEYS = (b'"timestamp": "', b'"timestamp":"')
_SNIFF_BYTES = 256
_MAX_TYPE_BYTES = 64
_ERROR_LEVELS = frozenset({"error", "critical"})
# Events that become a record of the agent that sent them (answers, votes, the timeline).
_AGENT_RECORDS = frozenset({"answer_submitted", "vote", "agent_restart", "final_presentation_start", "final_answer"})
# MassGen's own back-off on a provider error, streamed as text to the agent's
# output: "⚠️ [Gemini] Rate limited (HTTP 429) after partial output. Retrying attempt 2/5...".
_RETRY_MARKER = b"Retrying attempt "
_RETRY_TEXT = re.compile(r"(Rate limit[^\n]{0,300}?Retrying attempt \d{1,4}/\d{1,4})")


def _sniff(line: bytes, keys: tuple[bytes, bytes]) -> bytes | None:
    """The string value after one of `keys` if it sits near the start of the line."""
    for key in keys:
        start = line.find(key, 0, _SNIFF_BYTES)
        if start >= 0:
            start += len(key)
            end = line.find(b'"', start, start + _MAX_TYPE_BYTES)
            return line[start:end] if end >= 0 else None
    return None


def _sniffed_time(line: bytes | None, clock: RunClock) -> datetime | None:
    value = _sniff(line, _TIME_KEYS) if line else None
    return clock.from_local(parse_local_iso(value.decode("ascii", errors="replace"))) if value else None


def _time(event: dict[str, Any], clock: RunClock) -> datetime | None:
    return clock.from_local(parse_local_iso(event.get("timestamp")))


def _message(data: dict[str, Any]) -> str:
    for key in ("message", "error", "error_message", "content", "details"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


def _provider_retry(log: StreamLog, line: bytes, clock: RunClock) -> None:
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return
    if not isinstance(event, dict):
        return
    match = _RETRY_TEXT.search(as_str(as_dict(event.get("data")).get("content")) or "")
    if match and not log.full(log.provider_retries):
        message = scrub_excerpt(match.group(1), MAX_DETAILS_CHARS)
        log.add(log.provider_retries, ProviderRetry(as_str(event.get("agent_id")), _time(event, clock), message))


def _count_tool(log: StreamLog, kind: str, data: dict[str, Any]) -> None:
    name = data.get("tool_name")
    counter = log.tool(name if type(name) is str and name else "unknown")
    if counter is None:
        return
    if kind == "tool_start":
        counter.calls += 1
        return
    counter.completions += 1
    status = data.get("status")
    if data.get("is_error") is True or (type(status) is str and status != "success"):
        counter.failures += 1
    elapsed = data.get("elapsed_seconds")
    if type(elapsed) is float:  # nearly always: spares the general coercion
        counter.total_seconds += elapsed if math.isfinite(elapsed) else 0.0
    else:
        counter.total_seconds += as_float(elapsed) or 0.0


def _agent_record(log: StreamLog, kind: str, agent: str, data: dict[str, Any], at: datetime | None) -> None:
    if kind == "answer_submitted":
        label = as_str(data.get("answer_label"))
        log.add(log.answers, Answer(label=label or "", agent=agent, at=at, round=None, text=None))
        log.add(log.timeline, TimelineEvent(at, "answer", agent, label, ""))
    elif kind == "vote":
        label = as_str(data.get("voted_for_label")) or as_str(data.get("vote_label"))
        voted_for = as_str(data.get("target_id"))
        reason = scrub_excerpt(as_str(data.get("reason")) or "", MAX_REASON_CHARS)
        log.add(log.votes, Vote(voter=agent, voted_for=voted_for, label=label, reason=reason, at=at, round=None))
        log.add(log.timeline, TimelineEvent(at, "vote", agent, label, f"voted for {voted_for}"))
    elif kind == "agent_restart":
        reason = scrub_excerpt(as_str(data.get("restart_reason")) or "", MAX_DETAILS_CHARS)
        log.add(log.timeline, TimelineEvent(at, "restart", agent, None, reason))
    elif kind == "final_presentation_start":
        log.final_agent = agent
        log.add(log.timeline, TimelineEvent(at, "final_selected", agent, None, ""))
    else:  # final_answer
        log.final_agent = agent
        log.add(log.timeline, TimelineEvent(at, "final_answer", agent, None, ""))


def _handle(log: StreamLog, event: dict[str, Any], clock: RunClock) -> None:
    kind = as_str(event.get("event_type")) or ""
    data = as_dict(event.get("data"))
    if kind in ("tool_start", "tool_complete"):
        _count_tool(log, kind, data)
        return
    agent = as_str(event.get("agent_id"))
    # The time is parsed only for an event that is kept: most are not (status "info").
    if agent and kind in _AGENT_RECORDS:
        _agent_record(log, kind, agent, data, _time(event, clock))
    elif kind == "error" or "timeout" in kind or (kind == "status" and as_str(data.get("level")) in _ERROR_LEVELS):
        if log.full(log.errors, log.timeline):
            return  # nothing would keep it: its message need not be scrubbed
        at = _time(event, clock)
        message = scrub_excerpt(_message(data) or kind, MAX_DETAILS_CHARS)
        error_kind = "timeout" if "timeout" in kind else "error"
        log.add(log.errors, RunError(agent=agent, kind=error_kind, message=message, at=at, source=log.name))
        log.add(log.timeline, TimelineEvent(at, error_kind, agent, None, message))


@functools.cache
def _finder(keep_records: bool) -> LineFinder:
    """Built when first needed (a run needs one of the two): Hyperscan takes ~30 ms to compile each."""
    return LineFinder(_COUNTED_ONLY if keep_records else _COUNTED_ONLY | _RECORD_TYPES, _RETRY_MARKER)


_NOT_NEWLINE = re.compile(rb"[^\n]")
_first = itemgetter(0)


def _line(log: StreamLog, line: bytes, counted_only: frozenset[bytes], clock: RunClock) -> bool:
    """One line that is not plainly a skipped event; False when it is unreadable."""
    if not line:
        return True
    kind = _sniff(line, _TYPE_KEYS)
    if kind is not None:
        if kind in counted_only:
            if kind == b"text" and _RETRY_MARKER in line:
                _provider_retry(log, line, clock)
            return True
    elif line.isspace():
        return True
    return _decoded(log, line, clock)


def _decoded(log: StreamLog, line: bytes, clock: RunClock) -> bool:
    """A line to decode; False when it is unreadable."""
    try:
        event = orjson.loads(line)
    except orjson.JSONDecodeError:
        return False
    if type(event) is not dict:
        return False
    event_type = event.get("event_type")
    if event_type == "tool_start" or event_type == "tool_complete":  # most of what is decoded: kept short
        data = event.get("data")
        _count_tool(log, event_type, data if type(data) is dict else {})
    else:
        _handle(log, event, clock)
    return True


class _Ends:
    """The first and the last non-empty line seen, for the time span."""

    def __init__(self) -> None:
        self.first: bytes | None = None
        self.last: bytes | None = None

    def see(self, data: bytes, lo: int, hi: int) -> None:
        # data[lo:hi] ends in a newline; the usual block ends in a non-empty line.
        end = hi - 1
        if end == lo or data[end - 1] == 10:
            end = lo + len(data[lo:end].rstrip(b"\n"))
            if end == lo:
                return  # nothing but empty lines
        start = data.rfind(b"\n", lo, end)
        self.last = data[(lo if start < 0 else start + 1) : end]
        if self.first is None:
            start = _NOT_NEWLINE.search(data, lo, hi).start()
            self.first = data[start : data.find(b"\n", start, hi)]


def read_events_jsonl(path: Path, name: str, clock: RunClock, keep_records: bool = True) -> StreamLog:
    """Tool figures, errors and the time span always; answers, votes and the
    timeline only with `keep_records`.

    The stream is read a block of lines at a time. One Hyperscan pass per
    block (events_scan.py) finds the lines that are not plainly a skipped
    event (MassGen's own `{"timestamp": ..., "event_type": "text", ...`);
    only those are looked at one by one, with the same sniff as ever, and
    only the ones worth it are decoded. Line numbers are counted only for
    unreadable lines."""
    log = StreamLog(name)
    counted_only = _COUNTED_ONLY if keep_records else _COUNTED_ONLY | _RECORD_TYPES
    finder = _finder(keep_records)
    reader = LineReader(path, name)
    ends = _Ends()
    for data, lo, hi in reader.blocks():
        ends.see(data, lo, hi)
        starts, marked = finder.find(data, lo, hi)
        if marked:
            looked_at = {start for start, _ in starts}
            for start in marked:
                kind = CANONICAL_KIND.match(data, start, hi)
                if start not in looked_at and kind is not None and kind.group(1) == b"text":
                    starts.append((start, None))  # a skipped line with the notice
            starts.sort(key=_first)
        find = data.find
        for start, decode in starts:
            line = data[start : find(b"\n", start, hi)]
            if decode:
                readable = _decoded(log, line, clock)
            elif decode is None:
                _provider_retry(log, line, clock)
                continue
            else:
                readable = _line(log, line, counted_only, clock)
            if not readable:
                log.bad_line(reader.line_number(reader.block_offset + start - lo) if log.wants_line_number() else 0)
    log.overlong_lines = reader.overlong
    log.first_time = _sniffed_time(ends.first, clock)
    log.last_time = _sniffed_time(ends.last, clock)
    if log.first_time and log.last_time:
        log.span_seconds = (log.last_time - log.first_time).total_seconds()
    return log
