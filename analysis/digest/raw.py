"""The raw material of an attempt, in the order it matters to an analysis: the
final answer, every answer as given, the logs around each error, then failed
tool calls. Compression shrinks from the end, so what is last goes first."""

from __future__ import annotations

from analysis.report.input import RawPart
from analysis.digest.excerpts import error_excerpts
from analysis.digest.facts import RunFacts
from analysis.massgen.model import Attempt, Session


def raw_parts(session: Session, attempt: Attempt, facts: RunFacts) -> list[RawPart]:
    return [
        *_final_answer(attempt, facts),
        *_answers(attempt),
        *_error_logs(session, attempt),
        *_failed_tool_calls(facts),
    ]


def _final_answer(attempt: Attempt, facts: RunFacts) -> list[RawPart]:
    text = attempt.read_final_answer()
    if text is None:
        return []
    return [RawPart("final_answer", f"Final answer, presented by {facts.winner or 'the winner'}", text)]


def _answers(attempt: Attempt) -> list[RawPart]:
    parts = []
    for answer in attempt.answers:
        text = answer.read_text()
        if text is not None:
            parts.append(RawPart(f"answer:{answer.label}", f"Answer {answer.label} by {answer.agent}", text))
    return parts


def _error_logs(session: Session, attempt: Attempt) -> list[RawPart]:
    parts = []
    for excerpt in error_excerpts(session, attempt):
        error = attempt.errors[excerpt.error_index]
        number = excerpt.error_index + 1
        who = error.agent or "run"
        parts.append(
            RawPart(
                f"trace:{who}:{number}",
                f"Log around {error.kind} {number} ({who}): {excerpt.path} line {excerpt.line_number}",
                excerpt.text,
            )
        )
    return parts


def _failed_tool_calls(facts: RunFacts) -> list[RawPart]:
    return [
        RawPart(
            f"tool_error:{call.agent}:{number}",
            f"Failed tool call {number}: {call.tool} by {call.agent} ({call.label or 'while voting'})",
            f"Arguments:\n{call.arguments or '(not in the trace)'}\n\nError:\n{call.error}",
        )
        for number, call in enumerate(facts.failed_tool_calls, start=1)
    ]
