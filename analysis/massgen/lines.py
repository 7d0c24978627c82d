"""Line-by-line reading of large text files in big binary chunks: fast, and
bounded in memory by the chunk plus the longest line kept."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from analysis.massgen.errors import RunFormatError

# Lines longer than this are skipped (and counted), never buffered whole.
MAX_LINE_BYTES = 64 * 1024 * 1024
_CHUNK_BYTES = 4 * 1024 * 1024


class LineReader:
    """Iterate over `lines()`; afterwards `overlong` says how many lines were
    skipped for being longer than MAX_LINE_BYTES."""

    def __init__(self, path: Path, name: str):
        self.path = path
        self.name = name
        self.overlong = 0

    def lines(self) -> Iterator[bytes]:
        try:
            handle = open(self.path, "rb")
        except OSError as exc:
            raise RunFormatError(self.name, f"cannot be read ({exc.strerror or exc})") from None
        with handle:
            yield from self.lines_of(handle)

    def lines_of(self, handle: BinaryIO) -> Iterator[bytes]:
        """The lines of an open binary stream (a zip member, for rotated logs)."""
        pending: list[bytes] = []  # pieces of a line that spans chunks
        pending_size = 0
        skipping = False  # inside an over-long line, until its end
        while True:
            try:
                chunk = handle.read(_CHUNK_BYTES)
            except (OSError, ValueError, EOFError, zlib.error) as exc:
                # A zip member can also fail to inflate part-way.
                raise RunFormatError(self.name, f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
            if not chunk:
                break
            if skipping:
                newline = chunk.find(b"\n")
                if newline < 0:
                    continue
                chunk = chunk[newline + 1 :]
                skipping = False
            parts = chunk.split(b"\n")
            tail = parts.pop()
            if parts and pending:
                head = parts[0]
                if pending_size + len(head) > MAX_LINE_BYTES:
                    self.overlong += 1
                    del parts[0]
                else:
                    pending.append(head)
                    parts[0] = b"".join(pending)
                pending.clear()
                pending_size = 0
            yield from parts
            if tail:
                pending.append(tail)
                pending_size += len(tail)
                if pending_size > MAX_LINE_BYTES:
                    self.overlong += 1
                    skipping = True
                    pending.clear()
                    pending_size = 0
        if pending and not skipping:
            yield b"".join(pending)
