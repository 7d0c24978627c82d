"""What the run pages show, built from the database so the views stay thin.

Everything read from a run is untrusted text: it leaves here as plain strings
and reaches the page through Django's autoescape only."""

from __future__ import annotations

import codecs
import os
import stat
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from analysis.scrub import scrub_text
from webapp.runs import charts, timeline
from webapp.runs.models import (
    AgentRow,
    AnswerRow,
    Attempt,
    RoundRow,
    Run,
    RunFile,
    RunStatus,
    ToolRow,
    VoteRow,
)

PAGE_SIZE = 50
# Counting every matching run would cost a full scan on big teams; past this the
# list says "10,000+" and keeps paging.
COUNT_CAP = 10_000
# Rows per list on the run page (votes, answers, errors, retries); the timeline
# draws the same votes and answers, so each of its links has a target.
MAX_LISTED = 300
# The raw-file browser and lazily loaded answers show at most this much of a file.
FILE_VIEW_MAX_BYTES = 256 * 1024
# A file with a NUL byte in its first block is binary and is not shown as text.
BINARY_SNIFF_BYTES = 8192

SORTS = {
    "-created": ("-created_at",),
    "-started": (F("started_at").desc(nulls_last=True), "-created_at"),
    "started": (F("started_at").asc(nulls_last=True), "-created_at"),
    "-cost": ("-cost_usd", "-created_at"),
    "cost": ("cost_usd", "-created_at"),
    "-duration": (F("duration_seconds").desc(nulls_last=True), "-created_at"),
    "duration": (F("duration_seconds").asc(nulls_last=True), "-created_at"),
}
DEFAULT_SORT = "-created"
# The columns the list shows; the summary JSON and the rest stay in the database.
LIST_FIELDS = (
    "id", "status", "error", "question", "original_name", "started_at", "created_at", "duration_seconds", "winner",
    "agent_count", "models", "input_tokens", "output_tokens", "cost_usd",
)


# --- The runs list ----------------------------------------------------------------


@dataclass(frozen=True)
class RunFilters:
    q: str = ""
    status: str = ""
    model: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def from_query(cls, query) -> "RunFilters":
        """Lenient on purpose: a hand-edited or stale URL shows a list, never an error."""
        status = query.get("status", "")
        sort = query.get("sort", DEFAULT_SORT)
        return cls(
            q=query.get("q", "").strip()[:200],
            status=status if status in RunStatus.values else "",
            model=query.get("model", "").strip()[:255],
            since=_parse_date(query.get("since")),
            until=_parse_date(query.get("until")),
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=_parse_page(query.get("page")),
        )

    def apply(self, runs: QuerySet) -> QuerySet:
        if self.q:
            runs = runs.filter(Q(question__icontains=self.q) | Q(original_name__icontains=self.q))
        if self.status:
            runs = runs.filter(status=self.status)
        if self.model:
            # `models` is comma-joined: match a whole name, not a substring of one.
            m = self.model
            runs = runs.filter(
                Q(models=m) | Q(models__startswith=f"{m},") | Q(models__endswith=f",{m}") | Q(models__contains=f",{m},")
            )
        if self.since:
            runs = runs.filter(started_at__gte=_day_start(self.since))
        if self.until:
            runs = runs.filter(started_at__lt=_day_start(self.until + timedelta(days=1)))
        return runs.order_by(*SORTS[self.sort], "-pk")

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.model or self.since or self.until)

    def query(self, **changes) -> str:
        """The query string of these filters with `changes`, defaults left out."""
        values = {
            "q": self.q, "status": self.status, "model": self.model,
            "since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until else "",
            "sort": self.sort, "page": self.page,
        } | changes
        defaults = {"sort": DEFAULT_SORT, "page": 1}
        return urlencode({key: value for key, value in values.items() if value and value != defaults.get(key)})


@dataclass(frozen=True)
class SortLink:
    label: str
    query: str
    direction: str  # ascending | descending | "" (aria-sort)


@dataclass(frozen=True)
class RunListPage:
    runs: list[Run]
    filters: RunFilters
    count: int
    count_capped: bool
    page: int
    pages: int | None
    previous_query: str | None
    next_query: str | None
    model_choices: list[str]
    sort_links: dict[str, SortLink]
    status_choices: list[tuple[str, str]] = field(default_factory=lambda: list(RunStatus.choices))


def run_list(team, query) -> RunListPage:
    filters = RunFilters.from_query(query)
    matching = filters.apply(Run.objects.filter(team=team))
    count = matching.order_by()[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    last_page = None if capped else max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters.page, last_page) if last_page else filters.page
    start = (page - 1) * PAGE_SIZE
    # One query for the page; PAGE_SIZE + 1 rows tell whether a next page exists.
    rows = list(matching.only(*LIST_FIELDS)[start : start + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    return RunListPage(
        runs=rows[:PAGE_SIZE],
        filters=filters,
        count=min(count, COUNT_CAP),
        count_capped=capped,
        page=page,
        pages=last_page,
        previous_query=filters.query(page=page - 1) if page > 1 else None,
        next_query=filters.query(page=page + 1) if has_next else None,
        model_choices=model_choices(team),
        sort_links=_sort_links(filters),
    )


def model_choices(team) -> list[str]:
    # Distinct combinations are few even across thousands of runs.
    combos = Run.objects.filter(team=team).exclude(models="").order_by().values_list("models", flat=True).distinct()
    return sorted({name for combo in combos for name in combo.split(",") if name})


def _sort_links(filters: RunFilters) -> dict[str, SortLink]:
    """Column header links: a first click sorts descending, a second ascending."""
    links = {}
    for key, label in (("started", "Date"), ("duration", "Duration"), ("cost", "Cost")):
        if filters.sort == f"-{key}":
            direction, next_sort = "descending", key
        elif filters.sort == key:
            direction, next_sort = "ascending", f"-{key}"
        else:
            direction, next_sort = "", f"-{key}"
        links[key] = SortLink(label, filters.query(sort=next_sort, page=1), direction)
    return links


def _parse_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _parse_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _parse_page(value) -> int:
    return max(_parse_int(value) or 1, 1)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


# --- One run -----------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptChoice:
    turn: int
    attempt: int
    accepted: bool
    complete: bool
    query: str
    current: bool


@dataclass(frozen=True)
class TurnChoices:
    turn: int
    attempts: list[AttemptChoice]


@dataclass(frozen=True)
class VoteItem:
    row: VoteRow
    anchor: str
    final: bool
    when: str


@dataclass(frozen=True)
class AnswerItem:
    row: AnswerRow
    anchor: str
    when: str
    url: str | None  # the answer's file, loaded on demand


@dataclass(frozen=True)
class AgentAnswers:
    agent: str
    tone: int  # the colour of the agent's timeline lane
    answers: list[AnswerItem]


@dataclass(frozen=True)
class MatrixCell:
    final: int
    replaced: int


@dataclass(frozen=True)
class VoteMatrix:
    agents: list[str]
    rows: list[tuple[str, list[MatrixCell]]]
    received: list[int]  # final votes each agent received


@dataclass(frozen=True)
class TokenFigure:
    label: str
    value: int


@dataclass(frozen=True)
class Capped:
    """The first MAX_LISTED rows of a list, and how many there are in all."""

    items: list
    shown: int  # rows in `items` (they may be grouped)
    total: int

    @property
    def truncated(self) -> bool:
        return self.shown < self.total


@dataclass(frozen=True)
class RunPage:
    run: Run
    attempt: Attempt
    turns: list[TurnChoices]
    several_attempts: bool
    tokens: list[TokenFigure]
    cost_usd: float
    agents: list[AgentRow]
    final_answer_url: str | None
    final_answer_truncated: bool
    timeline: timeline.Timeline
    matrix: VoteMatrix
    answers: Capped  # of AgentAnswers
    votes: Capped  # of VoteItem
    errors: Capped
    enforcements: Capped
    retried_agents: list[AgentRow]  # re-prompted agents, for runs that log counts but no details
    tools: list[ToolRow]
    agent_chart: charts.BarChart
    round_chart: charts.BarChart
    warnings: list[str]


def choose_attempt(run: Run, query) -> tuple[Attempt | None, list[Attempt]]:
    """The attempt named by ?turn=&attempt=, else the first turn's accepted one."""
    attempts = list(run.attempts.all())
    if not attempts:
        return None, attempts
    turns = {a.turn for a in attempts}
    turn = _parse_int(query.get("turn"))
    in_turn = [a for a in attempts if a.turn == (turn if turn in turns else min(turns))]
    number = _parse_int(query.get("attempt"))
    chosen = next((a for a in in_turn if a.attempt == number), None)
    return chosen or next((a for a in in_turn if a.accepted), in_turn[-1]), attempts


def run_page(run: Run, query) -> RunPage | None:
    attempt, attempts = choose_attempt(run, query)
    if attempt is None:
        return None
    agents = list(attempt.agentrows.all())
    lane_order = [agent.agent for agent in agents]
    # Every vote as a cheap tuple for the matrix; whole rows only for those listed.
    ballots = list(attempt.voterows.values_list("position", "voter", "voted_for"))
    final_votes = _final_vote_positions(ballots)
    votes = _capped(attempt.voterows.filter(position__in=_votes_to_list(ballots, final_votes)), len(ballots))
    answers = _capped(attempt.answerrows.all())
    # Tuples, not model instances: a long run has thousands of restarts and errors.
    events = attempt.eventrows.filter(kind__in=timeline.EVENT_KINDS).values_list("kind", "agent", "at", "details")
    start = attempt.started_at or min((item.at for item in (*answers.items, *votes.items) if item.at), default=None)
    end = start + timedelta(seconds=attempt.duration_seconds) if start and attempt.duration_seconds else None

    answer_items = [AnswerItem(a, f"answer-{a.pk}", _offset(a.at, start), _file_url(run, a.path)) for a in answers.items]
    vote_items = [VoteItem(v, f"vote-{v.pk}", v.position in final_votes, _offset(v.at, start)) for v in votes.items]
    drawn = timeline.build_timeline(
        agents=[(agent.agent, agent.model if agent.model != agent.agent else agent.backend) for agent in agents],
        answers=[timeline.AnswerPoint(i.row.agent, i.row.label, i.row.at, i.anchor) for i in answer_items],
        votes=[timeline.VotePoint(i.row.voter, i.row.label or None, i.row.voted_for or None, i.row.reason, i.row.at, i.anchor)
               for i in vote_items],
        events=[timeline.EventPoint(kind, agent or None, at, details) for kind, agent, at, details in events],
        start=start,
        end=end,
    )
    totals = attempt.totals or {}
    return RunPage(
        run=run,
        attempt=attempt,
        turns=_turn_choices(attempts, attempt),
        several_attempts=len(attempts) > 1,
        tokens=[
            TokenFigure(label, int(totals.get(key) or 0))
            for key, label in (("input_tokens", "Input tokens"), ("cached_input_tokens", "Cached input"),
                               ("output_tokens", "Output tokens"), ("reasoning_tokens", "Reasoning tokens"))
        ],
        cost_usd=float(totals.get("cost_usd") or 0.0),
        agents=agents,
        final_answer_url=_file_url(run, attempt.final_answer_path),
        final_answer_truncated=(attempt.final_answer_chars or 0) > len(attempt.final_answer_preview),
        timeline=drawn,
        matrix=_vote_matrix(lane_order, ballots, final_votes),
        answers=Capped(_answers_by_agent(lane_order, answer_items), answers.shown, answers.total),
        votes=Capped(vote_items, votes.shown, votes.total),
        errors=_capped(attempt.errorrows.all()),
        enforcements=_capped(attempt.enforcementrows.all()),
        retried_agents=[agent for agent in agents if agent.enforcement_retries],
        tools=list(attempt.toolrows.all()),
        agent_chart=charts.build_bars([
            charts.Usage(a.agent, "", a.input_tokens, a.output_tokens, a.reasoning_tokens, a.cached_input_tokens, a.cost_usd)
            for a in agents
        ]),
        round_chart=charts.build_bars([
            charts.Usage(_round_label(r), r.agent, r.input_tokens, r.output_tokens, r.reasoning_tokens, r.cached_input_tokens,
                         r.cost_usd)
            for r in sorted(attempt.roundrows.all(), key=lambda r: (_lane_index(lane_order, r.agent), r.position))
        ]),
        warnings=_warnings(run, attempt),
    )


def _capped(rows: QuerySet, total: int | None = None) -> Capped:
    items = list(rows[: MAX_LISTED + 1])
    if total is None:
        total = len(items) if len(items) <= MAX_LISTED else rows.count()
    return Capped(items[:MAX_LISTED], min(len(items), MAX_LISTED), total)


def _turn_choices(attempts: list[Attempt], current: Attempt) -> list[TurnChoices]:
    by_turn: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        by_turn[attempt.turn].append(attempt)
    return [
        TurnChoices(turn, [
            AttemptChoice(a.turn, a.attempt, a.accepted, a.complete, urlencode({"turn": a.turn, "attempt": a.attempt}),
                          a.pk == current.pk)
            # The accepted attempt first; the restarted ones after it, latest first.
            for a in sorted(group, key=lambda a: (not a.accepted, -a.attempt))
        ])
        for turn, group in sorted(by_turn.items())
    ]


def _final_vote_positions(ballots: list[tuple[int, str, str]]) -> set[int]:
    """A voter's last vote stands; MassGen logs the earlier ones it replaced."""
    return set({voter: position for position, voter, _ in ballots}.values())


def _votes_to_list(ballots: list[tuple[int, str, str]], final: set[int]) -> list[int]:
    """Positions of the votes the page lists and draws: all the final ones, then
    the earliest replaced ones up to MAX_LISTED."""
    replaced = [position for position, _, _ in ballots if position not in final]
    return sorted(final) + replaced[: max(MAX_LISTED - len(final), 0)]


def _vote_matrix(lane_order: list[str], ballots: list[tuple[int, str, str]], final: set[int]) -> VoteMatrix:
    voters = list(dict.fromkeys(voter for _, voter, _ in ballots))
    agents = list(dict.fromkeys([*lane_order, *voters, *(target for _, _, target in ballots if target)]))
    finals = Counter((voter, target) for position, voter, target in ballots if position in final)
    replaced = Counter((voter, target) for position, voter, target in ballots if position not in final)
    return VoteMatrix(
        agents=agents,
        rows=[(voter, [MatrixCell(finals[voter, target], replaced[voter, target]) for target in agents])
              for voter in agents if voter in voters],
        received=[sum(finals[voter, target] for voter in voters) for target in agents],
    )


def _answers_by_agent(lane_order: list[str], items: list[AnswerItem]) -> list[AgentAnswers]:
    grouped: dict[str, list[AnswerItem]] = {agent: [] for agent in lane_order}
    for item in items:
        grouped.setdefault(item.row.agent, []).append(item)
    return [AgentAnswers(agent, i % timeline.TONES, answers) for i, (agent, answers) in enumerate(grouped.items())]


def _warnings(run: Run, attempt: Attempt) -> list[str]:
    warnings = []
    if not attempt.complete:
        reason = attempt.finish_reason or "unknown"
        warnings.append(f"This attempt did not complete (finish reason: {reason}); "
                        "the figures cover what was logged before it stopped.")
    return warnings + [str(w) for w in (*(run.warnings or []), *(attempt.warnings or []))]


def _round_label(row: RoundRow) -> str:
    number = f"R{row.number}" if row.number is not None else "R?"
    # The outcome matters when the round did not end the way its type suggests.
    cut_short = f" ({row.outcome})" if row.outcome in ("restarted", "error", "timeout") else ""
    return f"{number} {row.type or row.outcome or ''}".rstrip() + cut_short


def _lane_index(lane_order: list[str], agent: str) -> int:
    return lane_order.index(agent) if agent in lane_order else len(lane_order)


def _offset(at: datetime | None, start: datetime | None) -> str:
    if at is None or start is None:
        return ""
    return "+" + timeline.format_offset(max((at - start).total_seconds(), 0.0))


def _file_url(run: Run, relpath: str) -> str | None:
    return f"/runs/{run.pk}/files/{relpath}" if relpath else None


# --- Raw files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileListing:
    path: str
    name: str
    folder: str  # shown as a heading when it changes
    depth: int
    size: int


@dataclass(frozen=True)
class FileText:
    path: str
    size: int
    text: str
    truncated: bool
    binary: bool
    cap: int = FILE_VIEW_MAX_BYTES


def list_files(run: Run) -> list[FileListing]:
    """Every stored file, each folder's own files together under one heading."""
    listing = []
    for path, size in RunFile.objects.filter(run=run).values_list("path", "size"):
        folder, _, name = path.rpartition("/")
        listing.append(FileListing(path, name, folder, folder.count("/") + 1 if folder else 0, size))
    return sorted(listing, key=lambda file: (file.folder, file.name))


def read_run_file(run: Run, relpath: str) -> FileText | None:
    """At most FILE_VIEW_MAX_BYTES of one stored file, scrubbed; None unless
    `relpath` names a regular file inside the run's folder (no `..`, no
    absolute path, no symlink anywhere along the way)."""
    target = _resolve_inside(run, relpath)
    if target is None:
        return None
    try:
        descriptor = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        data = handle.read(FILE_VIEW_MAX_BYTES)
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return FileText(relpath, size, "", size > FILE_VIEW_MAX_BYTES, True)
    # The cut may fall inside a UTF-8 sequence: decode without the final flush
    # so a half character is dropped rather than shown as garbage.
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(data, final=size <= FILE_VIEW_MAX_BYTES)
    return FileText(relpath, size, scrub_text(text), size > FILE_VIEW_MAX_BYTES, False)


def _resolve_inside(run: Run, relpath: str) -> Path | None:
    root = run.files_root
    if root is None or not relpath or "\x00" in relpath or "\\" in relpath:
        return None
    parts = relpath.split("/")
    if PurePosixPath(relpath).is_absolute() or any(part in ("", ".", "..") for part in parts):
        return None
    # Only files ingest recorded are served: the database is the allow-list.
    if not RunFile.objects.filter(run=run, path=relpath).exists():
        return None
    current = root
    try:
        for part in parts:
            current = current / part
            mode = os.lstat(current).st_mode
            if stat.S_ISLNK(mode):
                return None
    except OSError:
        return None
    if not stat.S_ISREG(mode) or not current.resolve().is_relative_to(root.resolve()):
        return None
    return current
