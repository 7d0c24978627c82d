"""events.jsonl read a block at a time finds exactly what reading it line by
line finds: the same tools, records, errors, back-off notices, unreadable line
numbers and time span, wherever the chunks cut the lines."""

from __future__ import annotations

import random
import re

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
from analysis.massgen.events_scan import _CANONICAL, LineFinder
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


# Lines that leave MassGen's own start at every place the line finder checks:
# in the time key, the time, the type key and the type, and at its closing quote.
_ODD_LINES = [
    lambda s: _event("tex", s),  # a type that is a skipped type's prefix
    lambda s: _event("texts", s),  # ... or goes on past one
    lambda s: _event("thinking_delta", s),
    lambda s: _event("tool_complete_x", s, tool_name="odd"),
    lambda s: _event("t" * 63, s),
    lambda s: _event("t" * 64, s),
    lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": "' + b"x" * 70,  # no closing quote
    lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": "',  # cut after the type key
    lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": ',
    lambda s: b'{"timestamp": "2026-11',  # cut inside the time
    lambda s: b'{"timestamp": "',
    lambda s: b'{"timestamp"',
    lambda s: b"{",
    lambda s: b'{"timestamp": "' + b"9" * 64 + b'", "event_type": "text", "data": {}}',  # the longest time
    lambda s: b'{"timestamp": "' + b"9" * 65 + b'", "event_type": "text", "data": {}}',
    lambda s: b'{"timestamp": "' + b"9" * 230 + b'", "event_type": "thinking", "data": {}}',  # type key past the sniff
    lambda s: b'{"timestamp": "", "event_type": "text", "data": {}}',
    lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type": "text" , "data": {}}',
    lambda s: b'{"timestamp": "2026-11-24T04:50:00", "event_type":"text", "data": {}}',
    lambda s: b'{"timestamp":"2026-11-24T04:50:00","event_type":"tool_start","data":{"tool_name":"compact"}}',
    lambda s: b' {"timestamp": "2026-11-24T04:50:00", "event_type": "text", "data": {}}',
    lambda s: _event("thinking", s, nested={"event_type": "tool_start", "tool_name": "inner"}),
    lambda s: _event("text", s, content='", "event_type": "error"'),
    lambda s: _event("tool_start", s, tool_name="search", note="Rate limit hit. Retrying attempt 1/3"),
    lambda s: _event("text", s, content="Rate limited. Retrying attempt 2/5 then Retrying attempt 3/5"),
]


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
        *_ODD_LINES,
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


def _reference_find(lines, skipped):
    """What the finder must report, line by line: every line but those that
    start as MassGen writes a skipped type, flagged when MassGen's own start
    leads to a type that is not skipped (the block's first line is sniffed
    instead: never flagged)."""
    canonical = re.compile(_CANONICAL)
    kinds = b"|".join(re.escape(kind) for kind in skipped)
    plainly_skipped = re.compile(_CANONICAL + b"(?:" + kinds + b')"')
    found, offset = [], 0
    for index, line in enumerate(lines):
        if not plainly_skipped.match(line):
            found.append((offset, index > 0 and canonical.match(line) is not None))
        offset += len(line) + 1
    return found


@pytest.mark.parametrize("keep_records", [True, False])
def test_the_finder_reports_every_line_not_plainly_skipped_wherever_the_block_starts(keep_records):
    skipped = _COUNTED_ONLY if keep_records else _COUNTED_ONLY | _RECORD_TYPES
    lines = [maker(index % 60) for index, maker in enumerate(_ODD_LINES * 3)]
    lines += [_event("text", 1), b"", _event("tool_start", 2, tool_name="x"), _event("thinking", 3)]
    finder = LineFinder(skipped, _RETRY_MARKER)
    for first in range(len(lines)):
        # The block starts after some whole lines, as a chunk's block does.
        head = b"".join(line + b"\n" for line in lines[:first])
        block = b"".join(line + b"\n" for line in lines[first:])
        data = head + block
        starts, marked = finder.find(data, len(head), len(data))
        expected = _reference_find(lines[first:], skipped)
        assert starts == [(start + len(head), flag) for start, flag in expected]
        line_starts = [len(head) + sum(len(line) + 1 for line in lines[first:index]) for index in range(first, len(lines))]
        assert marked == [start for start, line in zip(line_starts, lines[first:]) if _RETRY_MARKER in line]
