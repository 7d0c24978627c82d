"""The runs list (/runs/): the team's runs, filtered, sorted and paged."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from webapp.runs import keyset
from webapp.runs.keyset import ID_DESCENDING, SortKey
from webapp.runs.models import Attempt, Run, RunStatus
from webapp.runs.presenters.query_params import parse_date, parse_page

PAGE_SIZE = 50
# Counting every matching run would cost a full scan on big teams; past this the
# list says "10,000+" and keeps paging.
COUNT_CAP = 10_000
# Longest search text and model name a filter keeps.
MAX_SEARCH_CHARS = 200
MAX_MODEL_CHARS = 255

MODEL_CHOICES_CACHE_PREFIX = "debrief:runs:model-choices:v1"
MODEL_CHOICES_CACHE_SECONDS = 60

# Each sort is a keyset order (webapp.runs.keyset), newest first among equals; the
# run's id makes every order total, so a cursor names one place in it.
_NEWEST = (SortKey("created_at", descending=True), ID_DESCENDING)
SORTS = {
    "-created": _NEWEST,
    "-started": (SortKey("started_at", descending=True, nullable=True), *_NEWEST),
    "started": (SortKey("started_at", descending=False, nullable=True), *_NEWEST),
    # A cost MassGen never recorded (NULL) sorts last either way, not as the dearest run.
    "-cost": (SortKey("cost_usd", descending=True, nullable=True, kind=float), *_NEWEST),
    "cost": (SortKey("cost_usd", descending=False, nullable=True, kind=float), *_NEWEST),
    "-duration": (SortKey("duration_seconds", descending=True, nullable=True, kind=float), *_NEWEST),
    "duration": (SortKey("duration_seconds", descending=False, nullable=True, kind=float), *_NEWEST),
}
DEFAULT_SORT = "-created"
# The columns the list shows; the summary JSON and the rest stay in the database.
LIST_FIELDS = (
    "id", "status", "error", "question", "original_name", "started_at", "created_at", "duration_seconds", "winner",
    "agent_count", "models", "massgen_version", "input_tokens", "output_tokens", "cost_usd", "turn_count", "error_count",
)
# A ready run's row is drawn once and kept (webapp.settings: the "rows" cache, in
# each process): rendering 50 rows was most of the list's CPU. The key holds every
# value the row shows, so a changed run is drawn again at once; this only bounds memory.
ROW_CACHE_SECONDS = 10 * 60
ROW_CACHE = "rows"
# The sortable columns: sort key and header label.
SORTABLE_COLUMNS = (("started", "Date"), ("duration", "Duration"), ("cost", "Cost"))


ATTEMPT_COUNT = Coalesce(
    Subquery(Attempt.objects.filter(run=OuterRef("pk")).order_by().values("run").annotate(n=Count("pk")).values("n")), 0
)


@dataclass(frozen=True)
class RunFilters:
    q: str = ""
    status: str = ""
    model: str = ""
    since: date | None = None
    until: date | None = None
    sort: str = DEFAULT_SORT
    page: int = 1
    # The keyset cursor of the row before this page (after) or after it (before), as
    # the pager's links give them; a page number alone is read with OFFSET.
    after: str = ""
    before: str = ""

    @classmethod
    def from_query(cls, query) -> "RunFilters":
        """Lenient on purpose: a hand-edited or stale URL shows a list, never an error."""
        status = query.get("status", "")
        sort = query.get("sort", DEFAULT_SORT)
        return cls(
            q=query.get("q", "").strip()[:MAX_SEARCH_CHARS],
            status=status if status in RunStatus.values else "",
            model=query.get("model", "").strip()[:MAX_MODEL_CHARS],
            since=parse_date(query.get("since")),
            until=parse_date(query.get("until")),
            sort=sort if sort in SORTS else DEFAULT_SORT,
            page=parse_page(query.get("page")),
            after=query.get("after", "")[: keyset.MAX_CURSOR_CHARS + 1],
            before=query.get("before", "")[: keyset.MAX_CURSOR_CHARS + 1],
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
        return keyset.order_by(runs, self.keys)

    @property
    def keys(self) -> tuple[SortKey, ...]:
        return SORTS[self.sort]

    @property
    def active(self) -> bool:
        return bool(self.q or self.status or self.model or self.since or self.until)

    def query(self, **changes) -> str:
        """The query string of these filters with `changes`, defaults left out; a
        cursor only where `changes` gives one (a new sort or filter starts afresh)."""
        values = {
            "q": self.q, "status": self.status, "model": self.model,
            "since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until else "",
            "sort": self.sort, "page": self.page,
        } | changes
        defaults = {"sort": DEFAULT_SORT, "page": 1}
        # The cursor last: the links read as ?sort=-cost&page=3&after=…
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
    row_seconds: int = ROW_CACHE_SECONDS


def run_list(team, query) -> RunListPage:
    filters = RunFilters.from_query(query)
    matching = filters.apply(Run.objects.filter(team=team))
    count = matching.order_by()[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    last_page = None if capped else max((count + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    page = min(filters.page, last_page) if last_page else filters.page
    # One query for the page; PAGE_SIZE + 1 rows tell whether a page follows (or,
    # read backwards, precedes). attempt_count - turn_count is how many attempts
    # were restarted (each turn accepts one). A correlated subquery, counted for the
    # page's rows only: a JOIN + GROUP BY made PostgreSQL aggregate every matching
    # run before it could sort and cut the page.
    shown = matching.only(*LIST_FIELDS).annotate(attempt_count=ATTEMPT_COUNT)
    rows, has_next, has_previous, page = _seek(shown, filters, page)
    if rows is None:  # no cursor, or one this list did not give out: by page number
        start = (page - 1) * PAGE_SIZE
        rows = list(shown[start : start + PAGE_SIZE + 1])
        has_next, has_previous = len(rows) > PAGE_SIZE, page > 1
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row.restart_count = max(row.attempt_count - row.turn_count, 0)
        row.row_key = row_key(row)
    return RunListPage(
        runs=rows,
        filters=filters,
        count=min(count, COUNT_CAP),
        count_capped=capped,
        page=page,
        pages=last_page,
        previous_query=_previous_query(filters, page, rows) if has_previous and rows else None,
        next_query=filters.query(page=page + 1, after=keyset.encode(rows[-1], filters.keys)) if has_next and rows else None,
        model_choices=model_choices(team, newest=_newest_shown(filters, page, rows)),
        sort_links=_sort_links(filters),
    )


def _seek(shown: QuerySet, filters: RunFilters, page: int) -> tuple[list[Run] | None, bool, bool, int]:
    """The page after (or before) the cursor: (rows, has_next, has_previous, page
    number), or rows None to page by number. A cursor whose page is gone (every run
    after it deleted) pages by number too, so the link still shows the last page;
    one with less than a page before it is the first page now."""
    cursor, forwards = (filters.after, True) if filters.after else (filters.before, False)
    if not cursor or page == 1:
        return None, False, False, page
    try:
        values = keyset.decode(cursor, filters.keys)
    except keyset.BadCursor:
        return None, False, False, page
    if forwards:
        rows = list(keyset.after(shown, filters.keys, values)[: PAGE_SIZE + 1])
        return (rows, len(rows) > PAGE_SIZE, True, page) if rows else (None, False, False, page)
    rows = list(keyset.order_by(keyset.before(shown, filters.keys, values), filters.keys, reverse=True)[: PAGE_SIZE + 1])
    if len(rows) <= PAGE_SIZE:  # runs were added or removed meanwhile: this is the first page now
        return None, False, False, 1
    return rows[:PAGE_SIZE][::-1], True, True, page


def _previous_query(filters: RunFilters, page: int, rows: list[Run]) -> str:
    if page <= 2:
        return filters.query(page=1)  # the first page needs no cursor
    return filters.query(page=page - 1, before=keyset.encode(rows[0], filters.keys))


def row_key(run: Run) -> str:
    """Every value a row of the list shows (the verdict is added by the template):
    its drawn HTML is reused while none of them changes. Dates are drawn in the
    server's one time zone (TIME_ZONE; no per-user zone)."""
    values = (*(getattr(run, name) for name in LIST_FIELDS), run.restart_count)
    return f"{run.pk}:{hashlib.blake2b(repr(values).encode(), digest_size=16).hexdigest()}"


def model_choices(team, newest: tuple | None = None) -> list[str]:
    """The model names of the team's runs, for the filter. The DISTINCT behind them
    reads every run of the team (tens of ms at 100k runs, on every list request), so
    it is cached; the key holds the newest run and its status, so a new upload, its
    ingest finishing or its deletion shows at once, and anything else (an older run
    finishing or deleted) within MODEL_CHOICES_CACHE_SECONDS. `newest`: that run's
    (pk, status) when the caller has it already (see _newest_shown)."""
    if newest is None:
        found = Run.objects.filter(team=team).order_by("-created_at", "-pk").values_list("pk", "status")[:1]
        newest = found[0] if found else ()
    key = ":".join((MODEL_CHOICES_CACHE_PREFIX, str(team.pk), *(str(value) for value in newest)))
    names = cache.get(key)
    if names is None:
        # Distinct combinations are few even across thousands of runs.
        combos = Run.objects.filter(team=team).exclude(models="").order_by().values_list("models", flat=True).distinct()
        names = sorted({name for combo in combos for name in combo.split(",") if name})
        cache.set(key, names, timeout=MODEL_CHOICES_CACHE_SECONDS)
    return names


def _newest_shown(filters: RunFilters, page: int, rows: list[Run]) -> tuple | None:
    """The team's newest run as model_choices keys it, when this page shows it: the
    unfiltered list's first page in the default order starts with it (the order
    model_choices asks in), which spares the most-seen page a query. None otherwise."""
    if filters.active or filters.sort != DEFAULT_SORT or page != 1:
        return None
    return (rows[0].pk, rows[0].status) if rows else ()


def _sort_links(filters: RunFilters) -> dict[str, SortLink]:
    """Column header links: a first click sorts descending, a second ascending."""
    links = {}
    for key, label in SORTABLE_COLUMNS:
        if filters.sort == f"-{key}":
            direction, next_sort = "descending", key
        elif filters.sort == key:
            direction, next_sort = "ascending", f"-{key}"
        else:
            direction, next_sort = "", f"-{key}"
        links[key] = SortLink(label, filters.query(sort=next_sort, page=1), direction)
    return links


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
