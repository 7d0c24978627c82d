"""Which lines of a block of events.jsonl to look at, found by searching the
whole block, not line by line.

Nearly every line MassGen writes starts `{"timestamp": "...", "event_type": "text"`
(or another type the reader skips). Such a line is certain to sniff as that
type (events_jsonl._sniff: the first type key within _SNIFF_BYTES, the value up
to the next quote: no earlier type key fits before it), so it is skipped
unread. One regular-expression search over the block reports every other line
start; Hyperscan finds MassGen's back-off notice, which can sit in a skipped
`text` line (Python's substring search runs at a third of its speed here)."""

from __future__ import annotations

import re
import threading

import hyperscan

# MassGen's own line start, up to and with the type.
_CANONICAL = rb'\{"timestamp": "[^"\n]{0,64}", "event_type": "'
CANONICAL_KIND = re.compile(_CANONICAL + rb'([^"\n]{1,63})"')
_COMMON = (b"thinking", b"text")


class LineFinder:
    """The line starts to look at in a block, for one set of skipped types."""

    def __init__(self, skipped: frozenset[bytes], marker: bytes):
        # Streaming chunks first: most lines are one, and the search tries the types in turn.
        kinds = b"|".join(re.escape(kind) for kind in sorted(skipped, key=lambda kind: (kind not in _COMMON, kind)))
        self._skipped = re.compile(_CANONICAL + b"(?:" + kinds + b')"')
        # A group that matches (empty) where the line is MassGen's: its type then
        # needs no sniffing, it is one to decode.
        self._others = re.compile(b"\n(?!" + self._skipped.pattern + b")(?:(?=" + _CANONICAL + b'[^"\n]{1,63}")())?')
        self._marker = hyperscan.Database()
        self._marker.compile(expressions=[b"".join(b"\\x%02x" % byte for byte in marker)], ids=[0], elements=1, flags=0)
        self._local = threading.local()  # a scratch space serves one scan at a time

    def _scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._marker)
        return scratch

    def find(self, data: bytes, lo: int, hi: int) -> tuple[list[tuple[int, bool]], list[int]]:
        """([(start, whether MassGen wrote it)] of the lines in data[lo:hi] that
        are not plainly skipped, in order; starts of the lines holding the
        marker, in order). data[lo:hi] is whole lines, each ending in a newline."""
        # The first line has no newline before it in the block; the block's last
        # newline starts no line.
        starts = [] if self._skipped.match(data, lo, hi) else [(lo, False)]
        starts += [(match.start() + 1, match.group(1) is not None) for match in self._others.finditer(data, lo, hi - 1)]
        ends: list[int] = []
        with memoryview(data) as view, view[lo:hi] as block:
            self._marker.scan(block, match_event_handler=_collect, context=ends, scratch=self._scratch())
        marked: list[int] = []
        for end in ends:
            start = max(data.rfind(b"\n", lo, lo + end) + 1, lo)
            if not marked or marked[-1] != start:
                marked.append(start)
        return starts, marked


def _collect(_index: int, _start: int, end: int, _flags: int, found: list) -> None:
    found.append(end)
