"""events.jsonl read a block at a time finds exactly what reading it line by
line finds: the same tools, records, errors, back-off notices, unreadable line
numbers and time span, wherever the chunks cut the lines."""

from __future__ import annotations

import random

import orjson
import pytest

from analysis.massgen import events_jsonl, lines
from analysis.massgen.clock import RunClock
from analysis.massgen.events_jsonl import (
    _COUNTED_ONLY,
    _RECORD_TYPES,
    _RETRY_MARKER,
    _handle,
    _provider_retry,
    _sniff,
    _sniffed_time,
    _TYPE_KEYS,
    read_events_jsonl,
)
from analysis.massgen.lines import LineReader
from analysis.massgen.streamlog import StreamLog

_FIELDS = ("tools", "answers", "votes", "errors", "timeline", "provider_retries", "bad_lines", "bad_line_count",
           "overlong_lines", "first_time", "last_time", "span_seconds", "final_agent", "truncated_records")


def _line_by_line(path, clock, keep_records):
    """The reader as it was before blocks: every line sniffed in Python."""
    log = StreamLog("events.jsonl")
    counted_only = _COUNTED_ONLY if keep_records else _COUNTED_ONLY | _RECORD_TYPES
    reader = LineReader(path, "events.jsonl")
    first = last = None
    for number, line in enumerate(reader.lines(), start=1):
        if not line:
            continue
        first = line if first is None else first
        last = line
        kind = _sniff(line, _TYPE_KEYS)
        if kind is not None:
            if kind in counted_only:
                if kind == b"text" and _RETRY_MARKER in line:
                    _provider_retry(log, line, clock)
                continue
        elif line.isspace():
            continue
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            log.bad_line(number)
            continue
        if not isinstance(event, dict):
            log.bad_line(number)
            continue
        _handle(log, event, clock)
    log.overlong_lines = reader.overlong
    log.first_time, log.last_time = _sniffed_time(first, clock), _sniffed_time(last, clock)
    if log.first_time and log.last_time:
        log.span_seconds = (log.last_time - log.first_time).total_seconds()
    return log


def _event(kind, second, compact=False, **data):
    event = {"timestamp": f"2026-11-24T04:50:{second:02d}.000001", "event_type": kind, "agent_id": "agent_a", "data": data}
    return orjson.dumps(event) if compact else orjson.dumps(event).replace(b'":', b'": ').replace(b',"', b', "')


def _lines(seed):
    pick = random.Random(seed)
    makers = [
        lambda s: _event("thinking", s, content="x" * pick.randint(0, 120)),
        lambda s: _event("text", s, content="plain"),
        lambda s: _event("text", s, content="Rate limited (HTTP 429). Retrying attempt 2/5..."),
        lambda s: _event("text", s, compact=True, content="Rate limited (HTTP 429). Retrying attempt 3/5..."),
        lambda s: _event("thinking", s, content="Rate limited. Retrying attempt 4/5"),
        lambda s: _event("tool_start", s, tool_name=pick.choice(["search", "text_stats", "new_answer"])),
        lambda s: _event("tool_complete", s, tool_name="search", status=pick.choice(["success", "error"]), elapsed_seconds=0.25),
        lambda s: _event("tool_start", s, compact=True, tool_name="compact_tool"),
        lambda s: _event("answer_submitted", s, answer_label="agent1.1"),
        lambda s: _event("vote", s, voted_for_label="agent1.1", target_id="agent_b", reason="clearer"),
        lambda s: _event("error", s, message="boom"),
        lambda s: _event("status", s, level="error", message="bad status"),
        lambda s: _event("round_start", s, nested={"event_type": "vote"}),
        lambda s: _event("", s),
        lambda s: b'{"timestamp": "' + b"9" * 70 + b'", "event_type": "text", "data": {}}',
        lambda s: b'{"event_type": "text", "timestamp": "2026-11-24T04:50:00"}',
        lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": "text", "data": {"cut',
        lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": "text\\u0022"}',
        lambda s: b"{not json",
        lambda s: b"\x00\xff",
        lambda s: b"[1, 2]",
        lambda s: b"",
        lambda s: b"   ",
        lambda s: _event("text", s) + b"\r",
        lambda s: b"y" * pick.randint(200, 400),  # over-long once MAX_LINE_BYTES is small
    ]
    return [pick.choice(makers)(index % 60) for index in range(pick.randint(1, 120))]


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("keep_records", [True, False])
def test_blocks_find_what_line_by_line_reading_finds(tmp_path, monkeypatch, seed, keep_records):
    pick = random.Random(seed)
    monkeypatch.setattr(lines, "_CHUNK_BYTES", pick.choice([1, 7, 64, 97, 300, 4096]))
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 250)
    body = b"\n".join(_lines(seed)) + pick.choice([b"", b"\n", b"\n\n"])
    path = tmp_path / "events.jsonl"
    path.write_bytes(body)
    clock = RunClock(None)
    expected = _line_by_line(path, clock, keep_records)
    found = read_events_jsonl(path, "events.jsonl", clock, keep_records)
    for name in _FIELDS:
        assert getattr(found, name) == getattr(expected, name), name


def test_a_line_number_counts_lines_before_it_in_earlier_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(lines, "_CHUNK_BYTES", 64)
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join([_event("text", 1)] * 50 + [b"{broken"] + [_event("text", 2)] * 3 + [b"{broken again"]) + b"\n")
    log = read_events_jsonl(path, "events.jsonl", RunClock(None))
    assert log.bad_lines == [51, 55]
    assert events_jsonl.LineReader is LineReader
