"""What the reader hands out: a Session of Turns of Attempts, as frozen dataclasses.

Big texts (answers, traces, the final answer) are `TextRef`s: a path and a size,
read on demand. Every string in here has already been scrubbed of secrets, and
`TextRef.read_text` scrubs what it reads.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from analysis.massgen.errors import RunFormatError
from analysis.redaction.scrub import scrub_text

_READ_CHUNK = 1 << 20
# Short texts the model holds inline (event details, error messages, vote
# reasons) are cut to these lengths; anything longer is hostile or a dump.
MAX_DETAILS_CHARS = 2_000
MAX_REASON_CHARS = 20_000


class RunFiles:
    """The directory a session was read from. When the session came from an
    archive extracted into a temporary directory, `keepalive` owns that
    directory, so it lives exactly as long as something still refers into it."""

    def __init__(self, root: Path, keepalive: object | None = None):
        self.root = root
        self._keepalive = keepalive

    def __repr__(self) -> str:
        return f"RunFiles({str(self.root)!r})"

    def resolve(self, relpath: str) -> Path:
        return self.root / relpath


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str  # relative to the session root, with forward slashes
    size: int


@dataclass(frozen=True, slots=True)
class TextRef:
    """A text file of the run, referenced rather than loaded."""

    files: RunFiles = field(repr=False, compare=False)
    path: str
    size: int

    def read_text(self) -> str:
        try:
            data = self.files.resolve(self.path).read_bytes()
        except OSError as exc:
            raise RunFormatError(self.path, f"cannot be read ({exc.strerror or exc})") from None
        return scrub_text(data.decode("utf-8", errors="replace"))

    def char_count(self) -> int:
        """Characters (not bytes) in the file, counted without loading it whole."""
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        count = 0
        try:
            with open(self.files.resolve(self.path), "rb") as handle:
                while chunk := handle.read(_READ_CHUNK):
                    count += len(decoder.decode(chunk))
        except OSError as exc:
            raise RunFormatError(self.path, f"cannot be read ({exc.strerror or exc})") from None
        return count + len(decoder.decode(b"", final=True))


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    backend: str | None
    model: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    answers: int = 0
    votes_cast: int = 0
    errors: int = 0
    enforcement_retries: int = 0
    status: str | None = None
    times_restarted: int = 0
    config: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Answer:
    label: str  # agentN.M
    agent: str
    at: datetime | None
    round: int | None
    text: TextRef | None
    context: TextRef | None = None
    trace: TextRef | None = None

    def read_text(self) -> str | None:
        return None if self.text is None else self.text.read_text()


@dataclass(frozen=True, slots=True)
class Vote:
    voter: str
    voted_for: str | None
    label: str | None  # the answer label voted for, agentN.M
    reason: str
    at: datetime | None
    round: int | None
    trace: TextRef | None = None


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime | None
    kind: str  # session_start, answer, vote, vote_ignored, restart, error, timeout, final_selected, final_answer, session_end
    agent: str | None
    label: str | None
    details: str


@dataclass(frozen=True, slots=True)
class Round:
    agent: str
    number: int | None
    type: str | None  # initial_answer, voting, presentation, post_evaluation, ...
    outcome: str | None  # answer, vote, presentation, restarted, error, timeout, ...
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cached_input_tokens: int
    cost_usd: float
    started_at: datetime | None
    ended_at: datetime | None
    duration_ms: float | None
    token_source: str | None


@dataclass(frozen=True, slots=True)
class ToolStat:
    name: str
    calls: int
    failures: int
    total_ms: float


@dataclass(frozen=True, slots=True)
class RunError:
    agent: str | None
    kind: str  # "error" | "timeout"
    message: str
    at: datetime | None
    source: str  # the file it was read from


@dataclass(frozen=True, slots=True)
class EnforcementAttempt:
    round: int | None
    attempt: int | None
    reason: str
    error_message: str
    buffer_chars: int


@dataclass(frozen=True, slots=True)
class Reliability:
    """How often MassGen had to re-prompt one agent (status.json `reliability`)."""

    agent: str
    total_retries: int
    buffer_chars_lost: int
    attempts: tuple[EnforcementAttempt, ...]
    workflow_errors: int
    outcome: str | None


@dataclass(frozen=True, slots=True)
class Totals:
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    subagent_cost_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class Subagent:
    id: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    path: str | None  # its log folder, relative to the session root


@dataclass(frozen=True, slots=True)
class Attempt:
    number: int
    accepted: bool
    complete: bool
    finish_reason: str
    finish_details: str | None
    question: str | None
    started_at: datetime | None
    duration_seconds: float | None
    winner: str | None
    agents: tuple[Agent, ...]
    answers: tuple[Answer, ...]
    votes: tuple[Vote, ...]  # every vote, in the order cast
    events: tuple[TimelineEvent, ...]
    rounds: tuple[Round, ...]
    rounds_by_outcome: Mapping[str, int]
    tools: tuple[ToolStat, ...]
    tool_calls: int
    tool_failures: int
    errors: tuple[RunError, ...]
    reliability: tuple[Reliability, ...]
    totals: Totals
    final_answer: TextRef | None
    subagents: tuple[Subagent, ...]
    config: Mapping[str, Any]
    massgen_version: str | None
    path: str  # the attempt folder, relative to the session root
    warnings: tuple[str, ...]

    def agent(self, agent_id: str) -> Agent | None:
        return next((agent for agent in self.agents if agent.id == agent_id), None)

    def read_final_answer(self) -> str | None:
        return None if self.final_answer is None else self.final_answer.read_text()


@dataclass(frozen=True, slots=True)
class Turn:
    number: int
    attempts: tuple[Attempt, ...]

    @property
    def accepted_attempt(self) -> Attempt:
        # MassGen accepts a turn's last attempt; earlier ones were restarted.
        return self.attempts[-1]


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    massgen_version: str | None
    turns: tuple[Turn, ...]
    warnings: tuple[str, ...]
    files: RunFiles = field(repr=False, compare=False)

    @property
    def root(self) -> Path:
        return self.files.root

    def iter_files(self) -> Iterator[FileEntry]:
        """Every regular file of the session, depth first in name order,
        without following symlinks."""
        stack = [""]
        while stack:
            relative = stack.pop()
            try:
                with os.scandir(self.files.resolve(relative) if relative else self.files.root) as entries:
                    listed = sorted(entries, key=lambda entry: entry.name)
            except OSError:
                continue
            subdirectories = []
            for entry in listed:
                path = f"{relative}/{entry.name}" if relative else entry.name
                if entry.is_dir(follow_symlinks=False):
                    subdirectories.append(path)
                elif entry.is_file(follow_symlinks=False):
                    yield FileEntry(path, entry.stat(follow_symlinks=False).st_size)
            stack.extend(reversed(subdirectories))

    def text(self, relpath: str) -> TextRef:
        """A reference to any file of the session, for the raw-file browser.
        Refuses anything that leads outside the session, symlinks included."""
        relative = Path(relpath)
        if not relpath or relative.is_absolute() or ".." in relative.parts:
            raise RunFormatError(relpath, "is not a path inside the session")
        target = self.files.resolve(relpath)
        try:
            inside = target.resolve(strict=True).is_relative_to(self.files.root.resolve(strict=True))
        except (OSError, RuntimeError):
            inside = False
        if not inside or target.is_symlink() or not target.is_file():
            raise RunFormatError(relpath, "is not a file of the session")
        return TextRef(self.files, relative.as_posix(), target.stat().st_size)
