"""Reading stored runs again, after the reader learnt to read them better.

Runs ingested before unknown figures were stored as NULL hold 0 where MassGen
recorded nothing (a 0.1.1 run's cost, tokens, enforcement retries), and lack
the restarts, provider retries and session links read since. Rather than guess
in SQL which 0 meant "unknown", the stored (already scrubbed) files are read
again through the ingest's own code (`webapp.runs.reading`), so the rows are
exactly what a fresh upload of the same run gives today."""

from __future__ import annotations

from django.db.models import QuerySet

from webapp.runs.continuations import join_session
from webapp.runs.models import READER_REVISION, Run, RunStatus
from webapp.runs.reading import reread_run


def stale_runs() -> QuerySet[Run]:
    """Ready runs whose rows an older reader revision built."""
    return Run.objects.filter(status=RunStatus.READY, reader_revision__lt=READER_REVISION)


def do_reread_run(run: Run) -> Run:
    """Read one ready run again from its stored files, then join it with its
    session's `--continue` runs (which an older reader could not link). Raises
    RunFormatError when its files no longer read; the run is then left as it was."""
    run = reread_run(run)
    join_session(run)
    run.refresh_from_db()
    return run
