"""The rows of a run, built from the reader's Session and summary.

Building happens outside the database transaction (reading answer previews
touches the disk); `RunRows.save` then only inserts. Values are fitted to their
columns, so a hostile run with a 10,000-character agent id or a negative count
is stored cut or clamped instead of failing on PostgreSQL."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models

from analysis.massgen import Session, TextRef
from analysis.massgen.model import Attempt as ReaderAttempt
from analysis.redaction.scrub import scrub_text
from webapp.runs.models import (
    READER_REVISION,
    AgentRow,
    AnswerRow,
    Attempt,
    EnforcementRow,
    ErrorRow,
    EventRow,
    ReliabilityRow,
    RoundRow,
    Run,
    ToolRow,
    VoteRow,
)

PREVIEW_CHARS = 500
# Read a little past the preview so a secret cut at its end is still recognised.
_PREVIEW_READ_BYTES = (PREVIEW_CHARS + 200) * 4
BATCH_SIZE = 1000
_MAX_BIGINT = 2**63 - 1
_MAX_POSITIVE_INT = 2**31 - 1


# What a re-read rewrites on an Attempt row it keeps: everything but its identity.
_ATTEMPT_FIELDS = [field.name for field in Attempt._meta.concrete_fields if not field.primary_key and field.name != "run"]


@dataclass
class AttemptRows:
    attempt: Attempt
    children: list[models.Model] = field(default_factory=list)
    reliability: list[tuple[ReliabilityRow, list[EnforcementRow]]] = field(default_factory=list)


@dataclass
class RunRows:
    attempts: list[AttemptRows]

    def save(self, run, existing: dict[tuple[int, int], int] | None = None) -> None:
        """Insert the rows. `existing` maps (turn, attempt) to the id of an
        Attempt row the run already has: that row is updated in place, so what
        refers to it (an analysis of that attempt) survives a re-read."""
        existing = existing or {}
        kept = []
        for item in self.attempts:
            item.attempt.run = run
            item.attempt.pk = existing.get((item.attempt.turn, item.attempt.attempt))
            if item.attempt.pk is not None:
                kept.append(item.attempt)
        Attempt.objects.bulk_create([item.attempt for item in self.attempts if item.attempt.pk is None], batch_size=BATCH_SIZE)
        if kept:
            Attempt.objects.bulk_update(kept, _ATTEMPT_FIELDS, batch_size=BATCH_SIZE)
        by_model: dict[type, list[models.Model]] = {}
        enforcements = []
        for item in self.attempts:
            for row in item.children:
                row.run, row.attempt = run, item.attempt
                by_model.setdefault(type(row), []).append(row)
            for reliability, retries in item.reliability:
                reliability.run, reliability.attempt = run, item.attempt
                by_model.setdefault(ReliabilityRow, []).append(reliability)
                for retry in retries:
                    retry.run, retry.attempt, retry.reliability = run, item.attempt, reliability
                    enforcements.append(retry)
        for model, rows in by_model.items():
            model.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        EnforcementRow.objects.bulk_create(enforcements, batch_size=BATCH_SIZE)


def build_rows(session: Session, summary: dict) -> RunRows:
    chars = {
        (turn["turn"], attempt["attempt"]): attempt.get("final_answer_chars")
        for turn in summary["turns"]
        for attempt in turn["attempts"]
    }
    return RunRows(
        [
            _attempt_rows(session.root, turn.number, attempt, chars.get((turn.number, attempt.number)))
            for turn in session.turns
            for attempt in turn.attempts
        ]
    )


def run_fields(session: Session, summary: dict) -> dict:
    """The denormalised figures of the Run row: what the list page shows and
    filters on. Question, winner and finish reason are turn 1's accepted
    attempt's; tokens, cost, votes and errors are summed over every attempt
    that recorded them (NULL when none did: unknown, never 0)."""
    attempts = [attempt for turn in session.turns for attempt in turn.attempts]
    first = session.turns[0].accepted_attempt
    agents = {agent.id: agent for attempt in attempts for agent in attempt.agents}
    durations = [attempt.duration_seconds for attempt in attempts if attempt.duration_seconds is not None]
    started = [attempt.started_at for attempt in attempts if attempt.started_at is not None]
    fields = {
        "session_id": session.session_id,
        "massgen_version": session.massgen_version or "",
        "question": first.question or "",
        "started_at": min(started) if started else None,
        "duration_seconds": sum(durations) if durations else None,
        "winner": first.winner or "",
        "finish_reason": first.finish_reason or "",
        "turn_count": len(session.turns),
        "agent_count": len(agents),
        "models": ",".join(sorted({agent.model for agent in agents.values() if agent.model})),
        "vote_count": sum(len(attempt.votes) for attempt in attempts),
        "error_count": sum(len(attempt.errors) for attempt in attempts),
        "input_tokens": _recorded_sum(attempts, "input_tokens"),
        "output_tokens": _recorded_sum(attempts, "output_tokens"),
        "reasoning_tokens": _recorded_sum(attempts, "reasoning_tokens"),
        "cached_input_tokens": _recorded_sum(attempts, "cached_input_tokens"),
        "cost_usd": _recorded_sum(attempts, "cost_usd"),
        "summary": summary,
        "warnings": list(session.warnings),
        "reader_revision": READER_REVISION,
        "massgen_session_id": session.massgen_session_id or "",
        "continues_session_id": session.continues_session_id or "",
    }
    return {name: _fit_value(Run._meta.get_field(name), value) for name, value in fields.items()}


def _recorded_sum(attempts: list[ReaderAttempt], name: str):
    """The sum over the attempts whose files record usage; None when none does.
    A run mixing both (a 0.1.1 turn continued by a later version) sums what is known."""
    recorded = [getattr(attempt.totals, name) for attempt in attempts if attempt.totals.recorded]
    return sum(recorded) if recorded else None


def _known(value, recorded: bool):
    # The reader keeps 0 for a figure no file records; the row keeps NULL (unknown).
    return value if recorded else None


def _attempt_rows(root: Path, turn: int, attempt: ReaderAttempt, final_answer_chars: int | None) -> AttemptRows:
    totals = attempt.totals
    usage = totals.recorded
    row = _fit(Attempt(
        turn=turn,
        attempt=attempt.number,
        accepted=attempt.accepted,
        complete=attempt.complete,
        finish_reason=attempt.finish_reason or "",
        finish_details=attempt.finish_details or "",
        question=attempt.question or "",
        started_at=attempt.started_at,
        duration_seconds=attempt.duration_seconds,
        winner=attempt.winner or "",
        path=attempt.path,
        final_answer_path=_path(attempt.final_answer),
        final_answer_chars=final_answer_chars,
        final_answer_preview=_preview(root, attempt.final_answer),
        totals={
            "input_tokens": _known(totals.input_tokens, usage),
            "output_tokens": _known(totals.output_tokens, usage),
            "reasoning_tokens": _known(totals.reasoning_tokens, usage),
            "cached_input_tokens": _known(totals.cached_input_tokens, usage),
            "cost_usd": _known(totals.cost_usd, usage),
            "subagent_cost_usd": _known(totals.subagent_cost_usd, usage),
        },
        rounds_by_outcome=dict(attempt.rounds_by_outcome),
        tool_calls=_known(attempt.tool_calls, attempt.tools_recorded),
        tool_failures=_known(attempt.tool_failures, attempt.tools_recorded),
        presented_by=attempt.presented_by,
        restart_reason=attempt.restart_reason,
        previous_restart_reason=attempt.previous_restart_reason,
        likely_crash=attempt.likely_crash,
        config=dict(attempt.config),
        warnings=list(attempt.warnings),
    ))
    children: list[models.Model] = []
    children += [
        AgentRow(
            position=index, agent=agent.id, backend=agent.backend or "", model=agent.model or "",
            input_tokens=_known(agent.input_tokens, agent.usage_recorded),
            output_tokens=_known(agent.output_tokens, agent.usage_recorded),
            reasoning_tokens=_known(agent.reasoning_tokens, agent.usage_recorded),
            cached_input_tokens=_known(agent.cached_input_tokens, agent.usage_recorded),
            cost_usd=_known(agent.cost_usd, agent.usage_recorded), answers=agent.answers,
            votes_cast=agent.votes_cast, errors=agent.errors,
            enforcement_retries=_known(agent.enforcement_retries, agent.enforcement_recorded),
            status=agent.status or "", times_restarted=agent.times_restarted, config=dict(agent.config),
            restarts=agent.restarts, provider_retries=agent.provider_retries,
        )
        for index, agent in enumerate(attempt.agents)
    ]
    children += [
        AnswerRow(
            position=index, label=answer.label, agent=answer.agent, at=answer.at, round=answer.round,
            path=_path(answer.text), size=answer.text.size if answer.text else 0, preview=_preview(root, answer.text),
            context_path=_path(answer.context), trace_path=_path(answer.trace),
        )
        for index, answer in enumerate(attempt.answers)
    ]
    children += [
        VoteRow(
            position=index, voter=vote.voter, voted_for=vote.voted_for or "", label=vote.label or "",
            reason=vote.reason, at=vote.at, round=vote.round, trace_path=_path(vote.trace),
        )
        for index, vote in enumerate(attempt.votes)
    ]
    children += [
        EventRow(position=index, at=event.at, kind=event.kind, agent=event.agent or "", label=event.label or "", details=event.details)
        for index, event in enumerate(attempt.events)
    ]
    children += [
        RoundRow(
            position=index, agent=round_.agent, number=round_.number, type=round_.type or "", outcome=round_.outcome or "",
            input_tokens=round_.input_tokens, output_tokens=round_.output_tokens, reasoning_tokens=round_.reasoning_tokens,
            cached_input_tokens=round_.cached_input_tokens, cost_usd=round_.cost_usd, started_at=round_.started_at,
            ended_at=round_.ended_at, duration_ms=round_.duration_ms, token_source=round_.token_source or "",
        )
        for index, round_ in enumerate(attempt.rounds)
    ]
    children += [
        ErrorRow(position=index, agent=error.agent or "", kind=error.kind, message=error.message, at=error.at, source=error.source)
        for index, error in enumerate(attempt.errors)
    ]
    children += [
        ToolRow(position=index, name=tool.name, calls=tool.calls, failures=tool.failures, total_ms=tool.total_ms)
        for index, tool in enumerate(attempt.tools)
    ]
    reliability = []
    retry_position = 0
    for index, record in enumerate(attempt.reliability):
        retries = []
        for retry in record.attempts:
            retries.append(_fit(EnforcementRow(
                position=retry_position, agent=record.agent, round=retry.round, retry=retry.attempt,
                reason=retry.reason, error_message=retry.error_message, buffer_chars=retry.buffer_chars,
            )))
            retry_position += 1
        reliability.append((_fit(ReliabilityRow(
            position=index, agent=record.agent, total_retries=record.total_retries,
            buffer_chars_lost=record.buffer_chars_lost, workflow_errors=record.workflow_errors, outcome=record.outcome or "",
        )), retries))
    return AttemptRows(row, [_fit(child) for child in children], reliability)


def _path(text: TextRef | None) -> str:
    return text.path if text is not None else ""


def _preview(root: Path, text: TextRef | None) -> str:
    """The first PREVIEW_CHARS characters, scrubbed, without reading the whole file."""
    if text is None:
        return ""
    try:
        with open(root / text.path, "rb") as handle:
            head = handle.read(_PREVIEW_READ_BYTES)
    except OSError:
        return ""
    return scrub_text(head.decode("utf-8", errors="replace"))[:PREVIEW_CHARS]


def _fit(instance: models.Model) -> models.Model:
    for column in instance._meta.concrete_fields:
        setattr(instance, column.attname, _fit_value(column, getattr(instance, column.attname)))
    return instance


def _fit_value(column, value):
    if isinstance(column, models.JSONField):
        return _json_safe(value)
    if isinstance(value, str):
        value = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
        if column.max_length and len(value) > column.max_length:
            value = value[: column.max_length]
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if isinstance(column, (models.PositiveIntegerField, models.PositiveBigIntegerField)):
            value = max(value, 0)
        ceiling = _MAX_BIGINT if isinstance(column, models.BigIntegerField) else _MAX_POSITIVE_INT
        if isinstance(column, (models.IntegerField, models.BigIntegerField)):
            value = max(min(value, ceiling), -ceiling)
    return value


def _json_safe(value):
    # PostgreSQL's jsonb refuses \u0000 in strings, and NaN or Infinity anywhere.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_json_safe(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value
