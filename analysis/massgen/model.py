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


def join_path(folder: str, name: str) -> str:
    """`folder/name`, relative to the session root; the flat layout of MassGen
    0.1.0-0.1.7 keeps its attempt's files in the root itself (folder "")."""
    return f"{folder}/{name}" if folder else name


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
    # False when no file of the run records token usage (MassGen before 0.1.8
    # has no status.json, before 0.1.27 no metrics_summary.json): the token and
    # cost fields above then read 0 but mean "unknown", and the summary says null.
    usage_recorded: bool = True
    # False when neither status.json nor massgen.log exists to count re-prompts.
    enforcement_recorded: bool = True
    # restart_completed events for this agent (status.json's times_restarted
    # when the coordination record has none).
    restarts: int = 0
    # Provider errors MassGen backed off from and retried (massgen.log and
    # events.jsonl); None when neither file exists.
    provider_retries: int | None = None


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
    recorded: bool = True  # False: no file records usage; the figures mean "unknown"


@dataclass(frozen=True, slots=True)
class Subagent:
    id: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    path: str | None  # its log folder, relative to the session root
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderRetryRecord:
    """One provider error MassGen backed off from and retried on its own."""

    agent: str | None
    message: str
    at: datetime | None
    source: str


@dataclass(frozen=True, slots=True)
class BackendTimingFacts:
    backend: str
    calls: int | None
    time_ms: float | None
    ttft_ms: float | None


@dataclass(frozen=True, slots=True)
class ApiTimingFacts:
    total_calls: int | None
    total_time_ms: float | None
    avg_time_ms: float | None
    avg_ttft_ms: float | None
    by_backend: tuple[BackendTimingFacts, ...]


@dataclass(frozen=True, slots=True)
class ContextUsage:
    avg_pct: float | None  # metrics_summary.json rounds.avg_context_usage_pct
    peak_pct_by_agent: Mapping[str, float]


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
    tools_recorded: bool = True  # False: no file records tool use (MassGen 0.1.1)
    presented_by: str | None = None  # who presented the final answer (for a restarted attempt: the rejected one)
    restart_reason: str | None = None  # why this attempt was restarted (the next attempt's metadata)
    # The restart reason this attempt's own metadata records: why the attempt
    # before it was restarted.
    previous_restart_reason: str | None = None
    likely_crash: bool = False  # post-evaluation ended without a verdict and no restart followed
    tracker_reset: bool = False  # answers and votes came from snapshots: MassGen reset its tracker
    provider_retries: tuple[ProviderRetryRecord, ...] = ()
    restart_triggers: int = 0  # restart_triggered events
    api_timing: ApiTimingFacts | None = None
    context_usage: ContextUsage | None = None

    def agent(self, agent_id: str) -> Agent | None:
        return next((agent for agent in self.agents if agent.id == agent_id), None)

    def read_final_answer(self) -> str | None:
        return None if self.final_answer is None else self.final_answer.read_text()


@dataclass(frozen=True, slots=True)
class Turn:
    number: int
    attempts: tuple[Attempt, ...]
    # turn_N/ANALYSIS_REPORT.md, written by `massgen logs analyze --mode self`.
    analysis_report: TextRef | None = None

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
    # The MassGen session (`session_YYYYMMDD_HHMMSS`) the run belongs to, and the
    # same id when the run is a `massgen --continue` of it (see session_ids.py).
    massgen_session_id: str | None = None
    continues_session_id: str | None = None

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
