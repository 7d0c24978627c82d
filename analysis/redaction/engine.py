"""Every span to redact in a buffer, and the buffer written out with each union
of overlapping spans replaced once: in one go for a string, piece by piece for
a file (files.py), with the same result."""

from __future__ import annotations

from analysis.redaction.anchors import AnchorSet, literal
from analysis.redaction.rules import CASELESS_MARKERS, MAX_REACH, REDACTED, RULES, ScanMemo, Span

_ANCHORS = AnchorSet([(expression, back, number) for number, (_, anchors, _) in enumerate(RULES) for expression, back in anchors])
_FINDERS = tuple(finder for _, _, finder in RULES)
# Every literal anchor, and the literals of the name parts without their case-dependent edges.
_CASELESS = AnchorSet(
    [(expression, back, 0) for name, anchors, _ in RULES if name != "assignment" for expression, back in anchors]
    + [(*literal(marker), 0) for marker in CASELESS_MARKERS]
)
# Filler of a length-preserving redaction after the "[REDACTED]" it starts with.
_MASK_FILL = b"*"


def find_spans(buf, lo: int = 0, hi: int | None = None) -> list[Span]:
    """The spans of every secret whose anchor starts in buf[lo:hi]. A rule may
    read MAX_LOOKBEHIND bytes before lo and MAX_REACH bytes after its anchor."""
    size = len(buf)
    hi = size if hi is None else hi
    memo = ScanMemo()
    spans: list[Span] = []
    redacted_until = 0
    for at, rule in _ANCHORS.find(buf):
        if at < lo:
            continue
        if at >= hi:
            break
        if at < redacted_until:
            # Inside a value already being redacted: whatever this anchor starts
            # would be redacted with it. Skipping keeps a file made of nothing but
            # anchors ("api_key=api_key=...") linear instead of reading MAX_REACH
            # bytes per anchor.
            continue
        found = _FINDERS[rule](buf, at, min(size, at + MAX_REACH), memo)
        if found:
            spans.extend(found)
            redacted_until = max(redacted_until, *(end for _, end, _ in found))
    return spans


def holds_anchor(data) -> bool:
    """Whether any rule could find a secret in `data`, or in `data` with any
    letters' case changed (a cheap superset test)."""
    return _CASELESS.any(data)


def _mask(offset: int, size: int) -> bytes:
    """Bytes offset..offset+size of "[REDACTED]****...": a redaction that keeps
    a binary file's length and offsets."""
    head = REDACTED[offset : offset + size]
    return head + _MASK_FILL * (size - len(head))


class Redactor:
    """Writes input out in order with spans applied: spans that overlap are
    one redaction, replaced by the first one's replacement (text) or masked
    byte for byte (keep_length, for binary files). Spans may be added between
    calls to `emit`, as long as none starts before what was already emitted."""

    def __init__(self, keep_length: bool = False):
        self.keep_length = keep_length
        self.changed = False
        self._cursor = 0  # input before this offset is written out
        self._redact_until = 0  # input from the cursor up to here is being redacted
        self._masked = 0  # bytes of the current redaction already masked
        self._pending: list[Span] = []

    def add(self, spans: list[Span], offset: int = 0) -> None:
        self._pending.extend((start + offset, end + offset, replacement) for start, end, replacement in spans if end > start)
        self._pending.sort(key=lambda span: (span[0], -span[1]))

    def busy_before(self, upto: int) -> bool:
        """Whether emitting up to `upto` redacts anything."""
        return self._cursor < self._redact_until or bool(self._pending and self._pending[0][0] < upto)

    def pass_over(self, upto: int) -> None:
        """Count input up to `upto` as written out unchanged (nothing is redacted there)."""
        assert not self.busy_before(upto)
        self._cursor = upto

    def emit(self, buf, base: int, upto: int, out: list | None) -> None:
        """Write input [cursor, upto) to `out` (None: only track `changed`);
        `buf` holds the input from offset `base` on. Parts may be views of
        `buf`: use them before changing it."""
        pending = self._pending
        taken = 0
        view = memoryview(buf)  # parts written out are views, not copies
        while self._cursor < upto:
            if self._cursor < self._redact_until:
                while taken < len(pending) and pending[taken][0] < self._redact_until:
                    self._redact_until = max(self._redact_until, pending[taken][1])
                    taken += 1
                stop = min(self._redact_until, upto)
                if self.keep_length:
                    replacement = _mask(self._masked, stop - self._cursor)
                    self._masked += stop - self._cursor
                    if replacement != buf[self._cursor - base : stop - base]:
                        self.changed = True
                    if out is not None:
                        out.append(replacement)
                self._cursor = stop
                continue
            next_start = pending[taken][0] if taken < len(pending) else upto
            stop = min(next_start, upto)
            if stop > self._cursor:
                if out is not None:
                    out.append(view[self._cursor - base : stop - base])
                self._cursor = stop
            if stop == next_start < upto:
                _, self._redact_until, replacement = pending[taken]
                taken += 1
                self._masked = 0
                if not self.keep_length:
                    # Rules never offer a span that already reads as its replacement.
                    self.changed = True
                    if out is not None:
                        out.append(REDACTED if replacement is None else replacement)
        del pending[:taken]


def redact(data, keep_length: bool = False):
    """`data` with every secret redacted; `data` itself when nothing changes."""
    spans = find_spans(data)
    if not spans:
        return data
    redactor = Redactor(keep_length)
    redactor.add(spans)
    out: list = []
    redactor.emit(data, 0, len(data), out)
    return b"".join(out) if redactor.changed else data
