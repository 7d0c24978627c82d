"""`debrief runs reread`: runs ingested by an older reader (unknown figures
stored as 0, no restarts, no session links) read again from their stored files
through the ingest's code, keeping what refers to them."""

from __future__ import annotations

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests import stored
from tests.continuations import ORIGINAL, continuation
from tests.factories import AnalysisFactory
from tests.samples import SAMPLE_RUNS, ingest_sample
from webapp.analyses.models import Analysis
from webapp.runs.models import READER_REVISION, AgentRow, Attempt, Run

pytestmark = pytest.mark.django_db

FLAT_0_1_1 = SAMPLE_RUNS / "massgen-0.1.1" / "gemini-7agents-restarts" / "log_20251026_001748"


def _as_an_older_reader_left_it(run):
    """What the reader before revision 1 stored for a 0.1.1 run: 0 for every figure
    MassGen never recorded, no restarts, no session id."""
    Run.objects.filter(pk=run.pk).update(
        reader_revision=0, cost_usd=0, input_tokens=0, output_tokens=0, reasoning_tokens=0, cached_input_tokens=0,
        massgen_session_id="", continues_session_id="", continues=None,
    )
    AgentRow.objects.filter(run=run).update(cost_usd=0, input_tokens=0, output_tokens=0, enforcement_retries=0, restarts=None)
    Attempt.objects.filter(run=run).update(tool_calls=0, tool_failures=0)


def reread(*args):
    out, err = StringIO(), StringIO()
    call_command("runs", "reread", *args, stdout=out, stderr=err)
    return out.getvalue()


def test_a_stale_0_1_1_run_gets_null_for_what_was_never_recorded_and_keeps_its_analyses(people, storage_dir):
    run = ingest_sample(people.team_a, FLAT_0_1_1)
    attempt = Attempt.objects.get(run=run)
    analysis = AnalysisFactory(run=run, attempt=attempt)
    _as_an_older_reader_left_it(run)

    assert "1 of 1 run re-read." in reread("--stale")

    run.refresh_from_db()
    assert run.reader_revision == READER_REVISION
    assert (run.cost_usd, run.input_tokens, run.output_tokens) == (None, None, None)
    assert run.massgen_session_id == "session_20251026_001748"
    agents = AgentRow.objects.filter(run=run)
    assert {agent.cost_usd for agent in agents} == {None} and {agent.enforcement_retries for agent in agents} == {None}
    assert sum(agent.restarts for agent in agents) == 17
    assert Attempt.objects.get(run=run).pk == attempt.pk and Attempt.objects.get(run=run).tool_calls is None
    assert Analysis.objects.filter(pk=analysis.pk, attempt=attempt).exists()


def test_stale_leaves_runs_read_by_todays_reader_alone(people, storage_dir):
    run = ingest_sample(people.team_a)
    processed = run.processed_at
    assert "0 of 0 runs re-read." in reread("--stale")
    run.refresh_from_db()
    assert run.processed_at == processed
    # named, or with --all, it is read again (the same rows)
    assert "1 of 1 run re-read." in reread(str(run.pk))
    assert "1 of 1 run re-read." in reread("--all")
    assert Attempt.objects.filter(run=run).count() == 1


def test_a_reread_links_a_continuation_an_older_reader_could_not(people, storage_dir, tmp_path):
    head = ingest_sample(people.team_a, ORIGINAL)
    later = ingest_sample(people.team_a, continuation(tmp_path))
    assert later.continues_id == head.pk
    # What an older reader stored: two unrelated runs.
    Run.objects.filter(pk=later.pk).update(continues=None)
    for run in (head, later):
        _as_an_older_reader_left_it(run)

    reread("--stale")

    head.refresh_from_db()
    later.refresh_from_db()
    assert later.continues_id == head.pk and head.turn_count == 2


def test_reread_says_which_run_it_could_not_read_and_leaves_it_as_it_was(people, storage_dir):
    run = ingest_sample(people.team_a)
    shutil.rmtree(stored.files_root(run))
    with pytest.raises(CommandError, match="1 run could not be re-read"):
        reread(str(run.pk))
    run.refresh_from_db()
    assert run.status == "ready" and Attempt.objects.filter(run=run).count() == 1


def test_reread_needs_exactly_one_way_of_choosing_runs(db):
    with pytest.raises(CommandError, match="Give run ids, --all or --stale"):
        reread()
    with pytest.raises(CommandError, match="No run with id 'nope'"):
        reread("nope")


def test_a_reread_removes_what_an_older_ingest_kept_beside_the_session(people, storage_dir):
    # Before the ingest dropped them, an archive's other files were stored, unscrubbed, in the run's folder.
    run = ingest_sample(people.team_a, FLAT_0_1_1)
    secret = "sk-proj-" + "L4m5N6o7" * 6
    (stored.run_dir(run) / "notes.txt").write_text(f"OPENAI_API_KEY={secret}\n")
    (stored.run_dir(run) / "other").mkdir()
    (stored.run_dir(run) / "other" / "tool.log").write_text(secret)
    files_before = sorted(run.files.values_list("path", "size"))
    _as_an_older_reader_left_it(run)

    assert "1 of 1 run re-read." in reread("--stale")

    run.refresh_from_db()
    assert sorted(path.name for path in stored.run_dir(run).iterdir()) == [stored.files_root(run).name]
    assert sorted(run.files.values_list("path", "size")) == files_before
    assert run.reader_revision == READER_REVISION
