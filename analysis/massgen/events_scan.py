"""Which lines of a block of events.jsonl to look at, found by searching the
whole block with Hyperscan, not line by line.

Nearly every line MassGen writes starts `{"timestamp": "...", "event_type": "text"`
(or another type the reader skips). Such a line is certain to sniff as that
type (events_jsonl._sniff: the first type key within _SNIFF_BYTES, the value up
to the next quote: no earlier type key fits before it), so it is skipped
unread. One Hyperscan expression reports every other line: it follows that
canonical start from each newline and matches at the first byte that leaves
it, so a skipped line costs no match and no Python. A second database finds
MassGen's back-off notice, which can sit in a skipped `text` line.

Python's `re` did the same with a negative lookahead at every newline; its
byte-at-a-time search for the newlines alone cost about as much as this
whole pass."""

from __future__ import annotations

import re
import threading

import hyperscan

# MassGen's own line start, in its parts: the key before the time, the time
# (any bytes but a quote or a newline, up to _MAX_TIME_BYTES of them, then a
# quote) and the key before the type.
_TIME_KEY = b'{"timestamp": "'
_TYPE_KEY = b', "event_type": "'
_MAX_TIME_BYTES = 64
_CANONICAL = re.escape(_TIME_KEY) + rb'[^"\n]{0,%d}"' % _MAX_TIME_BYTES + re.escape(_TYPE_KEY)
CANONICAL_KIND = re.compile(_CANONICAL + rb'([^"\n]{1,63})"')
_QUOTE = ord('"')
_COMMON = (b"thinking", b"text")


def _byte(value: int) -> bytes:
    return b"\\x%02x" % value


def _other_than(allowed: set[int]) -> bytes:
    """A character class of every byte but these (a newline included)."""
    return b"[^" + b"".join(_byte(value) for value in sorted(allowed)) + b"]"


def _either(choices: list[bytes]) -> bytes:
    return choices[0] if len(choices) == 1 else b"(?:" + b"|".join(choices) + b")"


def _departing(literal: bytes, then: bytes) -> bytes:
    """Matches at the first byte that differs from `literal`; where all of it
    is there, `then` goes on from its end. Written as nested choices, one
    byte deep each, which Hyperscan runs as one small automaton: the plain
    list of the literal's prefixes ran several times slower."""
    expression = then
    for index in reversed(range(len(literal))):
        expression = _either([_other_than({literal[index]}), _byte(literal[index]) + expression])
    return expression


def _departing_kind(kinds: frozenset[bytes], prefix: bytes = b"") -> bytes:
    """Matches at the first byte that makes the type none of `kinds` followed
    by its closing quote; a whole kind and its quote match nothing."""
    depth = len(prefix)
    following = sorted({kind[depth] for kind in kinds if len(kind) > depth and kind.startswith(prefix)})
    allowed = set(following) | ({_QUOTE} if prefix in kinds else set())
    choices = [_other_than(allowed)]
    choices += [_byte(value) + _departing_kind(kinds, prefix + bytes([value])) for value in following]
    return _either(choices)


def not_skipped_expression(skipped: frozenset[bytes]) -> bytes:
    """Hyperscan expression matching, from the newline before a line, at the
    first byte where the line stops being `_CANONICAL` + a skipped type + `"`
    (that byte may be the line's own newline): once per line to look at, never
    for a skipped one."""
    limit = _MAX_TIME_BYTES
    after_time_key = _either([
        rb'[^"\n]{0,%d}\n' % (limit - 1),  # the line ends inside the time
        rb'[^"\n]{%d}[^"]' % limit,  # a time longer than the limit
        rb'[^"\n]{0,%d}"' % limit + _departing(_TYPE_KEY, _departing_kind(skipped)),
    ])
    return rb"\n" + _departing(_TIME_KEY, after_time_key)


def _database(expression: bytes) -> hyperscan.Database:
    database = hyperscan.Database()
    database.compile(expressions=[expression], ids=[0], elements=1, flags=[0])
    return database


class LineFinder:
    """The line starts to look at in a block, for one set of skipped types."""

    def __init__(self, skipped: frozenset[bytes], marker: bytes):
        # Streaming chunks first: most lines are one, and the search tries the types in turn.
        kinds = b"|".join(re.escape(kind) for kind in sorted(skipped, key=lambda kind: (kind not in _COMMON, kind)))
        # The block's first line has no newline before it in the block: matched here instead.
        self._skipped = re.compile(_CANONICAL + b"(?:" + kinds + b')"')
        self._lines = _database(not_skipped_expression(skipped))
        self._marker = _database(b"".join(_byte(value) for value in marker))
        self._local = threading.local()  # a scratch space serves one scan at a time

    def _scratches(self) -> tuple[hyperscan.Scratch, hyperscan.Scratch]:
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = (hyperscan.Scratch(self._lines), hyperscan.Scratch(self._marker))
        return scratches

    def find(self, data: bytes, lo: int, hi: int) -> tuple[list[tuple[int, bool]], list[int]]:
        """([(start, whether the line is MassGen's start with a type not
        skipped)] of the lines in data[lo:hi] that are not plainly skipped, in
        order; starts of the lines holding the marker, in order). data[lo:hi]
        is whole lines, each ending in a newline."""
        ends: list[int] = []
        marks: list[int] = []
        lines_scratch, marker_scratch = self._scratches()
        with memoryview(data) as view, view[lo:hi] as block:
            self._lines.scan(block, match_event_handler=_collect, context=ends, scratch=lines_scratch)
            self._marker.scan(block, match_event_handler=_collect, context=marks, scratch=marker_scratch)
        # One match per line, reported by end; sorted in case Hyperscan ever reports out of order.
        ends.sort()
        rfind, find = data.rfind, data.find
        starts = [] if self._skipped.match(data, lo, hi) else [(lo, False)]
        # Each match starts at the newline before its line and holds no other
        # newline but maybe its last byte; the type key lies inside it only
        # when the line left the canonical start in its type.
        starts += [
            (start, find(_TYPE_KEY, start, end) >= 0)
            for end in map(lo.__add__, ends)
            for start in (rfind(b"\n", lo, end - 1) + 1,)
        ]
        marked: list[int] = []
        for end in sorted(marks):
            start = max(rfind(b"\n", lo, lo + end) + 1, lo)
            if not marked or marked[-1] != start:
                marked.append(start)
        return starts, marked


def _collect(_index: int, _start: int, end: int, _flags: int, found: list) -> None:
    found.append(end)
