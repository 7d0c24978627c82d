"""Scrubbing a stored file in place, in bounded memory and one read."""

from __future__ import annotations

import os
import stat
import tempfile

from analysis.redaction.engine import Redactor, find_spans
from analysis.redaction.rules import MAX_LOOKBEHIND, MAX_REACH

# A file is read in pieces of this many bytes. Each piece is scanned with the
# MAX_LOOKBEHIND bytes before it and PIECE_OVERLAP_BYTES after it, so a secret
# that straddles two pieces is found exactly as in the whole file.
SCRUB_FILE_PIECE_BYTES = 4 * 1024 * 1024
# Rules read at most MAX_REACH bytes from where a secret starts, and may move
# an end past the rest of a UTF-8 character.
PIECE_OVERLAP_BYTES = MAX_REACH + 16
# A file with a NUL byte in this many first bytes is binary: its secrets are
# masked byte for byte ("[REDACTED]****"), so its length and offsets stay.
BINARY_SNIFF_BYTES = 8192
_COPY_BLOCK_BYTES = 16 * 1024 * 1024


def scrub_file(path) -> bool:
    """Rewrite a file in place with its secrets redacted, text or binary, in
    bounded memory. Returns whether anything changed; a file that does not
    change is only read, never written."""
    with open(path, "rb", buffering=0) as source:
        scrubbed = _scrub_stream(source, path, SCRUB_FILE_PIECE_BYTES)
    if scrubbed is None:
        return False
    try:
        os.replace(scrubbed, path)
    except BaseException:
        os.unlink(scrubbed)
        raise
    return True


def _scrub_stream(source, path, piece_bytes: int) -> str | None:
    """Scrub `source` piece by piece; the path of the scrubbed copy, or None
    when nothing changed (and nothing was written).

    One buffer is read into in place: MAX_LOOKBEHIND bytes already handled,
    then a piece, then PIECE_OVERLAP_BYTES whose anchors wait for the next
    round (a secret there may run on into bytes not read yet)."""
    capacity = MAX_LOOKBEHIND + piece_bytes + PIECE_OVERLAP_BYTES
    # A small file (most of a run: snapshot files) gets a buffer its size, not
    # a zeroed one of several megabytes; it grows if the file turns out bigger.
    buf = bytearray(min(capacity, _size_of(source) + 1))
    size = 0  # bytes of buf that hold input, from offset `base` on
    base = 0
    done = 0  # anchors before this offset are handled and the input up to it written out
    redactor: Redactor | None = None
    writer: _Writer | None = None
    try:
        while True:
            with memoryview(buf) as view:
                while size < len(buf) and (count := source.readinto(view[size:])):
                    size += count
            if size == len(buf) < capacity:  # larger than it said it was
                buf.extend(bytes(capacity - len(buf)))
                continue
            at_end = size < len(buf)
            if at_end:
                del buf[size:]
            if redactor is None:
                redactor = Redactor(keep_length=b"\0" in buf[:BINARY_SNIFF_BYTES])
            limit = base + size - (0 if at_end else PIECE_OVERLAP_BYTES)
            redactor.add(find_spans(buf, done - base, limit - base), base)
            if writer is not None or redactor.busy_before(limit):
                out: list = []
                redactor.emit(buf, base, limit, out)
                if writer is None and redactor.changed:
                    writer = _Writer(source, path)
                    writer.copy_prefix(done)
                if writer is not None:
                    writer.write(out)
                del out  # views of buf, which is about to change
            else:
                redactor.pass_over(limit)
            done = limit
            if at_end:
                return None if writer is None else writer.finish()
            keep = done - MAX_LOOKBEHIND - base
            buf[: size - keep] = buf[keep:size]
            base += keep
            size -= keep
    except BaseException:
        if writer is not None:
            writer.discard()
        raise


def _size_of(source) -> int:
    try:
        return os.fstat(source.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return 0


class _Writer:
    """The scrubbed copy, started only once a change is certain: what came
    before is copied from the source by the kernel where it can."""

    def __init__(self, source, path):
        self._source = source
        self._path = path
        directory = os.path.dirname(os.path.abspath(path))
        handle, self.name = tempfile.mkstemp(dir=directory, prefix=".scrub-")
        self._file = os.fdopen(handle, "wb")

    def copy_prefix(self, size: int) -> None:
        """Copy the source's first `size` bytes (called before any write)."""
        source_fd, target_fd = self._source.fileno(), self._file.fileno()
        offset = 0
        kernel = hasattr(os, "copy_file_range")
        while offset < size:
            copied = 0
            if kernel:
                try:
                    copied = os.copy_file_range(source_fd, target_fd, size - offset, offset)
                except OSError:
                    copied = 0
                kernel = copied > 0
            if not kernel:  # not between these files: plain reads, written after what the kernel copied
                block = os.pread(source_fd, min(_COPY_BLOCK_BYTES, size - offset), offset)
                if not block:
                    raise OSError(f"{self._path} shrank while it was scrubbed")
                self._file.write(block)
                copied = len(block)
            offset += copied

    def write(self, parts: list) -> None:
        for part in parts:
            self._file.write(part)

    def finish(self) -> str:
        self._file.close()
        # mkstemp makes the copy 0600; the file keeps the mode it had.
        os.chmod(self.name, stat.S_IMODE(os.stat(self._path).st_mode))
        return self.name

    def discard(self) -> None:
        self._file.close()
        os.unlink(self.name)
