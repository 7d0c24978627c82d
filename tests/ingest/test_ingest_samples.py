"""The ingest service on every sample run: the rows it stores match what the
reader and MassGen's own files say."""

import json
import shutil

import pytest

from analysis.massgen import read_session
from analysis.massgen.summary import summarize
from tests import stored
from tests.ingest.support import every_file, expected_summary, files_of, ingest_now, upload_archive, zip_with
from tests.samples import SAMPLE_SESSIONS, SMALLEST as SMALLEST_SAMPLE, sample_id
from webapp.runs.models import AgentRow, AnswerRow, Attempt, EventRow, Run, RunFile, VoteRow
from webapp.runs.reading import drop_beside
from webapp.runs.services import do_import_folder

pytestmark = pytest.mark.django_db


def import_sample(team, folder):
    run, created = do_import_folder(team, folder, enqueue=False)
    assert created and run.status == "queued"
    return ingest_now(run)


def expected_for(folder, reader: dict) -> dict:
    """The sample's expected summary, completed with the reader's own values where
    it is silent: the shared 0.1.1 expectation names no `massgen_version` and only
    some figures of each agent (the absent ones are not claims, so not checked against
    an independent reading, only against the rows)."""
    expected = expected_summary(folder)
    completed = {"massgen_version": reader["massgen_version"]} | expected
    turns = {turn["turn"]: turn for turn in reader["turns"]}
    for turn in completed["turns"]:
        attempts = {entry["attempt"]: entry for entry in turns[turn["turn"]]["attempts"]}
        for wanted in turn["attempts"]:
            read = attempts[wanted["attempt"]]
            agents = {agent["id"]: agent for agent in read["agents"]}
            wanted["agents"] = [agents[agent["id"]] | agent for agent in wanted["agents"]]
            wanted["totals"] = read["totals"] | wanted["totals"]
    return completed


def recorded_sum(values):
    """What the run row holds for a figure summed over attempts: None when no attempt recorded it."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def vote_casts(folder, attempt_path) -> int:
    document = json.loads((folder / attempt_path / "coordination_events.json").read_text())
    return sum(1 for event in document["events"] if event.get("event_type") == "vote_cast")


def test_the_sample_runs_are_all_here():
    assert len(SAMPLE_SESSIONS) >= 6


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_every_sample_run_is_stored_in_rows_that_match_its_summary(people, storage_dir, folder):
    run = import_sample(people.team_a, folder)
    assert run.status == "ready", run.error
    assert run.summary == summarize(read_session(folder))
    expected = expected_for(folder, run.summary)
    assert run.session_id == folder.name and run.massgen_version == expected["massgen_version"]

    for turn in expected["turns"]:
        for wanted in turn["attempts"]:
            attempt = Attempt.objects.get(run=run, turn=turn["turn"], attempt=wanted["attempt"])
            assert attempt.accepted == wanted["accepted"] and attempt.winner == (wanted["winner"] or "")
            assert attempt.voterows.count() == len(wanted["votes"]) == vote_casts(folder, attempt.path)
            agents = {row.agent: row for row in attempt.agentrows.all()}
            assert list(agents) == [agent["id"] for agent in wanted["agents"]]
            for agent in wanted["agents"]:
                row = agents[agent["id"]]
                assert (row.model, row.input_tokens, row.output_tokens, row.cost_usd, row.answers, row.votes_cast) == (
                    agent["model"], agent["input_tokens"], agent["output_tokens"], agent["cost_usd"], agent["answers"],
                    agent["votes_cast"],
                )
                assert (row.restarts, row.provider_retries, row.enforcement_retries) == (
                    agent["restarts"], agent["provider_retries"], agent["enforcement_retries"]
                )
            assert attempt.totals["input_tokens"] == wanted["totals"]["input_tokens"]
            assert attempt.totals["cost_usd"] == wanted["totals"]["cost_usd"]
            assert attempt.answerrows.count() == sum(agent["answers"] for agent in wanted["agents"])
            assert attempt.eventrows.count() > 0
            # MassGen before 0.1.8 records no rounds (no status.json), nor any usage.
            assert attempt.roundrows.count() > 0 or wanted["totals"]["input_tokens"] is None

    accepted = expected["turns"][0]["attempts"][-1]
    assert run.question == accepted["question"] and run.winner == (accepted["winner"] or "")
    assert run.agent_count == len(accepted["agents"])
    every_attempt = [a for t in expected["turns"] for a in t["attempts"]]
    assert run.input_tokens == recorded_sum(a["totals"]["input_tokens"] for a in every_attempt)
    assert run.cost_usd == recorded_sum(a["totals"]["cost_usd"] for a in every_attempt)
    assert set(run.model_list) == {agent["model"] for agent in accepted["agents"]}
    assert run.vote_count == VoteRow.objects.filter(run=run).count()


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_every_row_table_holds_what_the_reader_read(people, storage_dir, folder):
    run = import_sample(people.team_a, folder)
    for turn in read_session(folder).turns:
        for read in turn.attempts:
            stored = Attempt.objects.get(run=run, turn=turn.number, attempt=read.number)
            assert (
                stored.agentrows.count(), stored.answerrows.count(), stored.voterows.count(), stored.eventrows.count(),
                stored.roundrows.count(), stored.errorrows.count(), stored.toolrows.count(), stored.reliabilityrows.count(),
                stored.enforcementrows.count(),
            ) == (
                len(read.agents), len(read.answers), len(read.votes), len(read.events), len(read.rounds), len(read.errors),
                len(read.tools), len(read.reliability), sum(len(record.attempts) for record in read.reliability),
            )
            assert [row.kind for row in stored.eventrows.all()] == [event.kind for event in read.events]
            assert [(row.voter, row.label) for row in stored.voterows.all()] == [(vote.voter, vote.label or "") for vote in read.votes]


@pytest.mark.parametrize("folder", SAMPLE_SESSIONS, ids=sample_id)
def test_the_stored_files_are_indexed_and_the_archive_is_not_kept(people, storage_dir, folder):
    run = import_sample(people.team_a, folder)
    root = stored.files_root(run)
    on_disk = {path.relative_to(root).as_posix(): path.stat().st_size for path in every_file(root)}
    assert dict(RunFile.objects.filter(run=run).values_list("path", "size")) == on_disk
    assert stored.files_root(run).is_relative_to(stored.run_dir(run))
    assert not stored.staging_dir(run).exists()
    answer = AnswerRow.objects.filter(run=run).exclude(path="").first()
    assert answer.preview and (stored.files_root(run) / answer.path).is_file()


def test_it_rewrites_execution_metadata_without_api_keys(people, storage_dir, tmp_path):
    secret = "sk-proj-" + "A1b2C3d4" * 6
    folder = tmp_path / SMALLEST_SAMPLE.name
    shutil.copytree(SMALLEST_SAMPLE, folder)
    metadata = folder / "turn_1" / "attempt_1" / "execution_metadata.yaml"
    metadata.write_text(metadata.read_text().replace("      type: chatcompletion\n", f"      type: chatcompletion\n      api_key: {secret}\n", 1))
    assert secret in metadata.read_text()

    run = import_sample(people.team_a, folder)

    assert run.status == "ready", run.error
    metadata_kept = stored.files_root(run) / "turn_1" / "attempt_1" / "execution_metadata.yaml"
    assert "api_key: '[REDACTED]'" in metadata_kept.read_text() and "gpt-5-mini" in metadata_kept.read_text()
    for path in every_file(storage_dir):
        assert secret.encode() not in path.read_bytes(), path
    for attempt in Attempt.objects.filter(run=run):
        assert secret not in json.dumps(attempt.config)
    assert secret not in json.dumps(Run.objects.get(pk=run.pk).summary)
    assert secret in metadata.read_text()  # the source is only read


def test_it_stores_event_streams_and_logs_without_api_keys(people, storage_dir, tmp_path):
    # MassGen redacts its event streams only from about 0.1.80.
    secret = "sk-ant-" + "Z9y8X7w6" * 5
    folder = tmp_path / SMALLEST_SAMPLE.name
    shutil.copytree(SMALLEST_SAMPLE, folder)
    attempt = folder / "turn_1" / "attempt_1"
    with open(attempt / "massgen.log", "a") as log:
        log.write(f"12:00:00 | DEBUG | client ready with api_key={secret}\n")
    agent_output = next((attempt / "agent_outputs").glob("*.txt"))
    agent_output.write_text(agent_output.read_text() + f"\nAuthorization: Bearer {secret}\n")

    run = import_sample(people.team_a, folder)

    assert run.status == "ready", run.error
    for path in every_file(storage_dir):
        assert secret.encode() not in path.read_bytes(), path
    assert "api_key=[REDACTED]" in (stored.files_root(run) / "turn_1" / "attempt_1" / "massgen.log").read_text()


def test_the_list_figures_are_on_the_run_row(people, storage_dir):
    run = import_sample(people.team_a, SMALLEST_SAMPLE)
    assert run.started_at is not None and run.duration_seconds > 0 and run.cost_usd > 0
    assert run.turn_count == 1 and run.finish_reason == "completed" and run.processed_at is not None
    assert EventRow.objects.filter(run=run).count() == Attempt.objects.get(run=run).eventrows.count()
    assert AgentRow.objects.filter(run=run).count() == run.agent_count


@pytest.mark.parametrize("prefix", ["", "export/"])
def test_files_an_archive_holds_beside_the_session_are_not_stored(people, storage_dir, prefix):
    # Not part of the run (never listed or shown) and never scrubbed: kept, their secrets would be stored.
    secret = "sk-proj-" + "Q7r8S9t0" * 6
    session = {f"{prefix}{name}": path.read_bytes() for name, path in files_of(SMALLEST_SAMPLE)}
    beside = {"notes.txt": f"OPENAI_API_KEY={secret}\n", "other/tool.log": f"api_key={secret}", f"{prefix}README.md": secret}
    run, _ = upload_archive(people.team_a, people.alice, "run.zip", zip_with({**session, **{k: v.encode() for k, v in beside.items()}}))

    run = ingest_now(run)

    assert run.status == "ready", run.error
    root = stored.files_root(run)
    on_disk = sorted(path.relative_to(root).as_posix() for path in every_file(stored.run_dir(run)))
    assert on_disk == sorted(name.split("/", 1 + prefix.count("/"))[-1] for name in session)
    assert sorted(RunFile.objects.filter(run=run).values_list("path", flat=True)) == on_disk
    for path in every_file(storage_dir):
        assert secret.encode() not in path.read_bytes(), path


def test_dropping_what_is_beside_a_session_keeps_a_session_that_is_the_whole_folder(tmp_path):
    (tmp_path / "turn_1").mkdir()
    (tmp_path / "turn_1" / "events.jsonl").write_text("{}\n")
    assert drop_beside(tmp_path, tmp_path) == 0
    assert (tmp_path / "turn_1" / "events.jsonl").is_file()
    with pytest.raises(ValueError):
        drop_beside(tmp_path / "turn_1", tmp_path)
