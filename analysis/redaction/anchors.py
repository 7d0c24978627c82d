"""Where a secret may start: every rule's anchors found in one pass.

Hyperscan matches the anchors of all the rules at once (literals in any case,
and the parts of credential names) at close to memory speed, whatever the input
holds; Python's `re` would need one pass per literal or crawl through an
alternation (~40 MB/s). Only the places it reports are then looked at by the
rules, each within a bounded window, so a whole scrub is linear in the input."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import hyperscan


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
        ends: list[tuple[int, int]] = []
        self._database.scan(data, match_event_handler=_collect, context=ends, scratch=self._scratch())
        if not ends:
            return ends
        backs, rules = self._backs, self._rules
        return sorted({(end - backs[index], rules[index]) for index, end in ends})

    def any(self, data) -> bool:
        """Whether `data` holds any anchor (stops at the first)."""
        try:
            self._database.scan(data, match_event_handler=_stop, scratch=self._scratch())
        except hyperscan.ScanTerminated:
            return True
        return False


def _collect(index: int, _start: int, end: int, _flags: int, found: list) -> None:
    found.append((index, end))


def _stop(*_match) -> bool:
    return True  # ends the scan: one anchor answers the question
