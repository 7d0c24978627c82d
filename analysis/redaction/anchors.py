"""Where a secret may start: every rule's anchors found in one pass.

Hyperscan matches the anchors of all the rules at once (literals in any case,
and the parts of credential names) at close to memory speed, whatever the input
holds; Python's `re` would need one pass per literal or crawl through an
alternation (~40 MB/s). Only the places it reports are then looked at by the
rules, each within a bounded window, so a whole scrub is linear in the input."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import hyperscan

# A buffer this big is searched in parts at once, one thread each: Hyperscan lets
# go of the GIL while it scans, and a scrub of a big events.jsonl is otherwise
# one core's work (1 GB: ~1 s of an ingest of ~4 s). Smaller buffers (nearly
# every file of a run) are one scan; a thread's start would cost more than it saves.
PARALLEL_FIND_MIN_BYTES = 1024 * 1024
# At most this many parts, and never more than the cores this process may use.
MAX_FIND_THREADS = 4
# Each part is scanned with this many bytes of its neighbours on either side, and
# keeps only the anchors in its own bytes. Every anchor expression matches at most
# a few dozen bytes (a test holds them to ANCHOR_MAX_WIDTH), so an anchor in a
# part's own bytes matches exactly as in the whole buffer, and one that only
# matched because a part's edge looked like the buffer's start or end (`^`, `\z`)
# lies in the margin and is dropped.
ANCHOR_MAX_WIDTH = 64
PART_MARGIN_BYTES = 4 * ANCHOR_MAX_WIDTH


def literal(text: bytes) -> tuple[bytes, int]:
    """An anchor that is `text` in any case; it is reported where `text` starts."""
    escaped = b"".join(bytes([byte]) if bytes([byte]).isalnum() else b"\\" + bytes([byte]) for byte in text)
    return b"(?i:" + escaped + b")", len(text)


def name_part(word: bytes, last: bool = False) -> tuple[bytes, int]:
    """An anchor for `word` (a regex, any case) as a whole part of a name, split
    the way keys.py splits names: at non-alphanumerics and lower->Upper case
    changes; `last`: it also ends the name. It is reported on the character
    after the word (or on its last one, at the very end of the input)."""
    after = rb"(?:[^A-Za-z0-9_.\-]|\z)" if last else rb"(?:[^A-Za-z0-9]|[A-Z]|\z)"
    before = rb"(?:^|[^A-Za-z0-9]|\\[nrt])(?i:" + word + rb")"  # also after a JSON escape (\npassword)
    camel = rb"[a-z0-9]" + word[:1].upper() + rb"(?i:" + word[1:] + rb")"
    return b"(?:" + before + b"|" + camel + b")" + after, 1


class AnchorSet:
    """A compiled set of (hyperscan expression, how far back from a match's
    end the anchor is, rule number)."""

    def __init__(self, anchors: Sequence[tuple[bytes, int, int]]):
        self._backs = [back for _, back, _ in anchors]
        self._rules = [rule for _, _, rule in anchors]
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=[expression for expression, _, _ in anchors],
            ids=list(range(len(anchors))),
            elements=len(anchors),
            flags=0,
        )
        # Hyperscan's scratch space may serve one scan at a time: one per thread.
        self._local = threading.local()

    def _scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        return scratch

    def find(self, data) -> list[tuple[int, int]]:
        """(position, rule) of every anchor in `data`, in order, each pair once."""
        parts = _parts(len(data))
        if len(parts) == 1:
            return self._find_in(data, 0, len(data), 0, len(data))
        found: list[list[tuple[int, int]] | BaseException] = [[] for _ in parts]

        def scan(index: int) -> None:
            try:
                found[index] = self._find_in(data, *parts[index])
            except BaseException as exc:  # raised in the caller's thread below
                found[index] = exc

        helpers = []
        for index in range(1, len(parts)):
            helper = threading.Thread(target=scan, args=(index,), daemon=True)
            try:
                helper.start()
            except RuntimeError:  # no thread to be had (a process or memory limit): this one scans it
                scan(index)
                continue
            helpers.append(helper)
        scan(0)
        for helper in helpers:
            helper.join()
        anchors: list[tuple[int, int]] = []
        for part in found:
            if isinstance(part, BaseException):
                raise part
            anchors.extend(part)  # parts in order, each sorted and disjoint: sorted
        return anchors

    def _find_in(self, data, start: int, stop: int, own_start: int, own_stop: int) -> list[tuple[int, int]]:
        """The anchors at positions own_start..own_stop, scanning data[start:stop]."""
        ends: list[tuple[int, int]] = []
        with memoryview(data) as view, view[start:stop] as part:
            self._database.scan(part, match_event_handler=_collect, context=ends, scratch=self._scratch())
        if not ends:
            return []
        backs, rules = self._backs, self._rules
        anchors = {(start + end - backs[index], rules[index]) for index, end in ends}
        return sorted(anchor for anchor in anchors if own_start <= anchor[0] < own_stop)

    def any(self, data) -> bool:
        """Whether `data` holds any anchor (stops at the first)."""
        try:
            self._database.scan(data, match_event_handler=_stop, scratch=self._scratch())
        except hyperscan.ScanTerminated:
            return True
        return False


def _parts(size: int) -> list[tuple[int, int, int, int]]:
    """(scan start, scan stop, own start, own stop) of each part of a buffer of
    `size` bytes: own ranges split it evenly, scan ranges add the margins."""
    count = min(MAX_FIND_THREADS, _usable_cores(), size // PARALLEL_FIND_MIN_BYTES) if size >= PARALLEL_FIND_MIN_BYTES else 1
    if count <= 1:
        return [(0, size, 0, size)]
    bounds = [size * index // count for index in range(count + 1)]
    return [
        (max(0, own_start - PART_MARGIN_BYTES), min(size, own_stop + PART_MARGIN_BYTES), own_start, own_stop)
        for own_start, own_stop in zip(bounds, bounds[1:])
    ]


def _usable_cores() -> int:
    """The cores this process may run on (its affinity, as `taskset` sets it, where
    the platform has one; else every core)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


def _collect(index: int, _start: int, end: int, _flags: int, found: list) -> None:
    found.append((index, end))


def _stop(*_match) -> bool:
    return True  # ends the scan: one anchor answers the question
