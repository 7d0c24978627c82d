"""The bundled MassGen sample runs (tests/fixtures/massgen-runs), and how a
test gets one into the database through the real import and ingest."""

from __future__ import annotations

from pathlib import Path

from webapp.runs import ingest, services
from webapp.runs.models import Run

SAMPLE_RUNS = Path(__file__).resolve().parent / "fixtures" / "massgen-runs"
# Runs in the turn_N/attempt_M layout first: tests take the first few as typical
# sessions; the flat MassGen 0.1.1 run (no turn folders, no status.json) comes last.
SAMPLE_SESSIONS = sorted(
    (path for path in SAMPLE_RUNS.glob("massgen-*/*/log_*") if path.is_dir()),
    key=lambda path: (not (path / "turn_1").is_dir(), path),
)
SMALLEST = SAMPLE_RUNS / "massgen-0.1.43" / "tcp-udp-2agents-basic" / "log_20261124_044610_038495"
SPLIT_VOTE = SAMPLE_RUNS / "massgen-0.1.43" / "crisis2008-3agents-split-vote" / "log_20261124_044715_672265"
HTTP_ERRORS = SAMPLE_RUNS / "massgen-0.1.43" / "palindrome-3agents-http-errors" / "log_20261124_044651_263058"


def sample_id(folder: Path) -> str:
    return f"{folder.parent.parent.name}/{folder.parent.name}"


def ingest_sample(team, folder: Path = SMALLEST) -> Run:
    """A sample run through the real import and ingest, synchronously."""
    run, _ = services.do_import_folder(team, folder, enqueue=False)
    ingest.ingest_run(run.pk)
    run.refresh_from_db()
    assert run.status == "ready", run.error
    return run
