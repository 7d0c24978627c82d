"""Runs for the triage tests: a turn restarted after post-evaluation, with the
reader's newer fields (presented_by, restart_reason, per-agent restarts and
provider_retries) in the run's summary JSON, as ingest stores it."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import T0
from tests.pages.conftest import make_coordinated_run
from webapp.runs.models import AgentRow, Attempt, Run

RESTART_REASON = "The answer ignores UDP's lack of ordering."
FINAL_MARKDOWN = "**TCP vs UDP**\n\n| | TCP | UDP |\n|---|---|---|\n| ordered | yes | no |\n\n```\nsend()\n```\n"


def make_restarted_run(team) -> Run:
    """Turn 1: attempt 1 restarted (presented by agent_b, rejected), attempt 2
    accepted and won by agent_a, with one provider error on agent_b."""
    run = make_coordinated_run(team)
    accepted = run.attempts.get()
    accepted.attempt = 2
    accepted.final_answer_preview = FINAL_MARKDOWN
    accepted.final_answer_chars = len(FINAL_MARKDOWN)
    accepted.save()
    restarted = Attempt.objects.create(
        run=run, turn=1, attempt=1, accepted=False, complete=False, finish_reason="restarted", question=run.question,
        started_at=T0 - timedelta(minutes=5), duration_seconds=30.0, winner="agent_b",
        final_answer_preview="UDP, always.", final_answer_chars=12, totals={"input_tokens": 400, "cost_usd": 0.004},
    )
    AgentRow.objects.create(run=run, attempt=restarted, position=0, agent="agent_b", model="model-1", answers=1)
    run.error_count = 1
    run.turn_count = 1
    run.summary = {
        "format_version": 1,
        "turns": [{"turn": 1, "attempts": [
            {"attempt": 1, "accepted": False, "winner": None, "presented_by": "agent_b", "restart_reason": RESTART_REASON,
             "agents": [{"id": "agent_b", "restarts": 0, "provider_retries": 0}]},
            {"attempt": 2, "accepted": True, "winner": "agent_a", "presented_by": "agent_a", "restart_reason": None,
             "previous_restart_reason": RESTART_REASON,
             "agents": [{"id": "agent_a", "restarts": 1, "provider_retries": 0},
                        {"id": "agent_b", "restarts": 0, "provider_retries": 2}]},
        ]}],
    }
    run.save()
    return run
