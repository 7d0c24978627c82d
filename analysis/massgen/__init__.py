"""The MassGen run reader: a session folder or archive in, a `Session` out.

    from analysis.massgen import read_session
    session = read_session(Path("log_20261124_044610_038495"))
    attempt = session.turns[0].accepted_attempt

See docs/reader.md for what is supported and the limits that apply."""

from analysis.massgen.archive import extract_archive
from analysis.massgen.errors import ArchiveRejected, RunFormatError
from analysis.massgen.model import (
    Agent,
    Answer,
    Attempt,
    EnforcementAttempt,
    FileEntry,
    Reliability,
    Round,
    RunError,
    Session,
    Subagent,
    TextRef,
    TimelineEvent,
    ToolStat,
    Totals,
    Turn,
    Vote,
)
from analysis.massgen.reader import read_session

__all__ = [
    "Agent",
    "Answer",
    "ArchiveRejected",
    "Attempt",
    "EnforcementAttempt",
    "FileEntry",
    "Reliability",
    "Round",
    "RunError",
    "RunFormatError",
    "Session",
    "Subagent",
    "TextRef",
    "TimelineEvent",
    "ToolStat",
    "Totals",
    "Turn",
    "Vote",
    "extract_archive",
    "read_session",
]
