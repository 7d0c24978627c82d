"""The reader's two exceptions. Both name the file and the reason, so a user who
uploads a broken run is told what to fix rather than shown a traceback."""

from __future__ import annotations


class RunFormatError(Exception):
    """A file of a MassGen run (or the run as a whole) cannot be read."""

    def __init__(self, file: str, reason: str):
        self.file = file
        self.reason = reason
        super().__init__(f"{file}: {reason}")


class ArchiveRejected(RunFormatError):
    """An archive breaks one of the limits declared in `analysis.massgen.archive`;
    `limit` is the name of that constant."""

    def __init__(self, file: str, limit: str, reason: str):
        self.limit = limit
        super().__init__(file, f"{reason} (limit {limit})")
