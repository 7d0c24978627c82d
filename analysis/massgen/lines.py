"""Line-by-line reading of large text files in big binary chunks: fast, and
bounded in memory by the chunk plus the longest line kept.

`blocks()` hands out runs of whole lines as they sit in a chunk, so a reader
can search a few megabytes at once and look at single lines only where the
search says so; `lines()` is the same lines one by one."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from analysis.massgen.errors import RunFormatError

# Lines longer than this are skipped (and counted), never buffered whole.
MAX_LINE_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 4 * 1024 * 1024
_NEWLINE = b"\n"


class LineReader:
    """Iterate over `lines()` or `blocks()`; afterwards `overlong` says how many
    lines were skipped for being longer than MAX_LINE_BYTES."""

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name
        self.overlong = 0
        self.block_offset = 0  # where in the stream the last block handed out starts
        self._counted = (0, 0)  # (offset, newlines before it) for line_number

    def line_number(self, offset: int) -> int:
        """The number `lines()` gives the line that starts at `offset` of the
        file, for a line in the block handed out last (offsets asked for must
        not decrease). Counted only when asked: a second read up to there."""
        counted_to, newlines = self._counted
        with self._open() as handle:
            handle.seek(counted_to)
            while counted_to < offset:
                data = handle.read(min(_CHUNK_BYTES, offset - counted_to))
                if not data:
                    break
                newlines += data.count(_NEWLINE)
                counted_to += len(data)
        self._counted = (counted_to, newlines)
        return newlines - self.overlong + 1  # over-long lines are not handed out

    def _open(self) -> BinaryIO:
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise RunFormatError(self.name, f"cannot be read ({exc.strerror or exc})") from None

    def lines(self) -> Iterator[bytes]:
        with self._open() as handle:
            yield from self.lines_of(handle)

    def blocks(self) -> Iterator[tuple[bytes, int, int]]:
        with self._open() as handle:
            yield from self.blocks_of(handle)

    def lines_of(self, handle: BinaryIO) -> Iterator[bytes]:
        """The lines of an open binary stream (a zip member, for rotated logs)."""
        for data, lo, hi in self.blocks_of(handle):
            lines = data[lo:hi].split(_NEWLINE)
            lines.pop()  # the empty piece after the block's last newline
            yield from lines

    def blocks_of(self, handle: BinaryIO) -> Iterator[tuple[bytes, int, int]]:
        """`(data, lo, hi)`: data[lo:hi] is one or more whole lines of the
        stream, in order, each ending in a newline (one is added to a last
        line that has none). A line that spans chunks comes as a block of its own."""
        pending: list[bytes] = []  # pieces of a line that spans chunks
        pending_size = 0
        pending_offset = 0
        skipping = False  # inside an over-long line, until its end
        consumed = 0  # bytes read before `chunk`
        chunk = b""
        while True:
            consumed += len(chunk)
            try:
                chunk = handle.read(_CHUNK_BYTES)
            except (OSError, ValueError, EOFError, zlib.error) as exc:
                # A zip member can also fail to inflate part-way.
                raise RunFormatError(self.name, f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
            if not chunk:
                break
            pos = 0
            if skipping:
                newline = chunk.find(_NEWLINE)
                if newline < 0:
                    continue
                pos = newline + 1
                skipping = False
            first = chunk.find(_NEWLINE, pos)
            if first >= 0:
                if pending:
                    if pending_size + first - pos > MAX_LINE_BYTES:
                        self.overlong += 1
                    else:
                        pending.append(chunk[pos : first + 1])
                        line = b"".join(pending)
                        self.block_offset = pending_offset
                        yield line, 0, len(line)
                    pending.clear()
                    pending_size = 0
                    pos = first + 1
                last = chunk.rfind(_NEWLINE, pos)
                if last >= pos:
                    self.block_offset = consumed + pos
                    yield chunk, pos, last + 1
                    pos = last + 1
            if pos < len(chunk):
                if not pending:
                    pending_offset = consumed + pos
                pending.append(chunk[pos:] if pos else chunk)
                pending_size += len(chunk) - pos
                if pending_size > MAX_LINE_BYTES:
                    self.overlong += 1
                    skipping = True
                    pending.clear()
                    pending_size = 0
        if pending:
            line = b"".join(pending) + _NEWLINE
            self.block_offset = pending_offset
            yield line, 0, len(line)
