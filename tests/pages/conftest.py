"""Coordinated runs and stored files for the page tests, written straight to the
database (the ingest task has its own tests; plain run rows come from
`tests.factories.RunFactory`); `tests.samples.ingest_sample` goes through the real ingest instead."""

from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from tests.factories import T0, RunFactory
from webapp.runs import storage
from webapp.runs.models import (
    AgentRow,
    AnswerRow,
    Attempt,
    EnforcementRow,
    ErrorRow,
    EventRow,
    ReliabilityRow,
    RoundRow,
    Run,
    RunFile,
    ToolRow,
    VoteRow,
)


def write_file(run: Run, relpath: str, content: bytes) -> None:
    """A stored file of the run, recorded for the raw-file browser."""
    if not run.storage_path:
        run.storage_path = storage.run_folder(run.team_id, run.pk)
        run.save(update_fields=["storage_path"])
    storage.store().save(f"{run.storage_path}/{relpath}", ContentFile(content))
    RunFile.objects.create(run=run, path=relpath, size=len(content))


def make_coordinated_run(team, text: str = "", events: int = 0, **fields) -> Run:
    """A ready run with two agents, answers, votes, a restart, an error, an
    enforcement retry, rounds and a tool; `text` goes into every log-derived
    string (to test escaping), `events` adds that many extra votes."""
    run = RunFactory(team=team, question=f"Which protocol? {text}", winner="agent_a", **fields)
    attempt = Attempt.objects.create(
        run=run, turn=1, attempt=1, accepted=True, complete=True, finish_reason="completed", question=run.question,
        started_at=T0, duration_seconds=60.0, winner="agent_a", final_answer_preview=f"TCP wins. {text}",
        final_answer_chars=30, totals={"input_tokens": 1000, "output_tokens": 100, "cost_usd": 0.01}, tool_calls=2,
    )
    rows = dict(run=run, attempt=attempt)
    for i, agent in enumerate(("agent_a", "agent_b")):
        AgentRow.objects.create(**rows, position=i, agent=agent, backend="chatcompletion", model=f"model-{i}",
                                input_tokens=500, output_tokens=50, cost_usd=0.005, answers=1, votes_cast=1)
        RoundRow.objects.create(**rows, position=i, agent=agent, number=1, type="initial_answer", outcome="answer",
                                input_tokens=500, output_tokens=50, cost_usd=0.005)
    a1 = AnswerRow.objects.create(**rows, position=0, label="agent1.1", agent="agent_a", at=T0 + timedelta(seconds=10),
                                  round=1, preview=f"Answer A {text}", size=20)
    AnswerRow.objects.create(**rows, position=1, label="agent2.1", agent="agent_b", at=T0 + timedelta(seconds=20),
                             round=1, preview=f"Answer B {text}", size=20)
    VoteRow.objects.create(**rows, position=0, voter="agent_b", voted_for="agent_a", label=a1.label,
                           reason=f"A is clearer {text}", at=T0 + timedelta(seconds=30), round=2)
    VoteRow.objects.create(**rows, position=1, voter="agent_a", voted_for="agent_a", label=a1.label,
                           reason=f"Mine {text}", at=T0 + timedelta(seconds=35), round=2)
    VoteRow.objects.bulk_create(
        VoteRow(**rows, position=2 + i, voter="agent_b", voted_for="agent_a", label=a1.label, reason=f"again {i} {text}",
                at=T0 + timedelta(seconds=36 + i * 0.004), round=3)
        for i in range(events)
    )
    EventRow.objects.bulk_create([
        EventRow(**rows, position=0, at=T0 + timedelta(seconds=21), kind="restart", agent="agent_a", details=f"restart {text}"),
        EventRow(**rows, position=1, at=T0 + timedelta(seconds=25), kind="error", agent="agent_b", details=f"HTTP 500 {text}"),
        *(EventRow(**rows, position=2 + i, at=T0 + timedelta(seconds=36 + i * 0.004), kind="vote", agent="agent_b",
                   label=a1.label, details=text) for i in range(events)),
    ])
    ErrorRow.objects.create(**rows, position=0, agent="agent_b", kind="error", message=f"HTTP 500 {text}",
                            at=T0 + timedelta(seconds=25), source="turn_1/attempt_1/massgen.log")
    reliability = ReliabilityRow.objects.create(**rows, position=0, agent="agent_b", total_retries=1)
    EnforcementRow.objects.create(**rows, position=0, reliability=reliability, agent="agent_b", round=1, retry=1,
                                  reason="no_workflow_tool", error_message=f"Use a workflow tool {text}")
    ToolRow.objects.create(**rows, position=0, name="text_stats", calls=2, failures=0, total_ms=12.5)
    return run


@pytest.fixture
def coordinated_run(people):
    return make_coordinated_run(people.team_a)


def zip_folder(folder: Path, dest: Path) -> Path:
    """`folder` as a .zip whose entries start with the folder's name, as people zip a log_* folder."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return dest
