"""Failed tool calls, read from the agents' execution traces.

MassGen's execution_trace.md writes every tool call as `### Tool Call: NAME` with
its arguments in a fenced block, and a failed result as `### Tool Error: NAME`
with the result in a fenced block (a success is `### Tool Result: NAME`). The
trailing `## Errors` list repeats the failures in one line each and is skipped."""

from __future__ import annotations

from dataclasses import dataclass

from analysis.massgen.model import Attempt, TextRef

CALL_HEADING = "### Tool Call: "
ERROR_HEADING = "### Tool Error: "
ERRORS_SUMMARY_HEADING = "## Errors"
FENCE = "```"
LABEL_LINE = "**"  # `**Args**:` between a tool call's heading and its block
# A failed call's arguments and error are kept up to these lengths: enough to
# see what was attempted and why it failed, not a whole file the tool wrote.
MAX_ARGS_CHARS = 2_000
MAX_ERROR_CHARS = 4_000
TRUNCATION_MARK = "\n[... cut ...]"


@dataclass(frozen=True)
class FailedToolCall:
    agent: str
    tool: str
    label: str | None  # the answer label of the snapshot, None for a vote's trace
    trace: str  # the trace file, relative to the session root
    arguments: str
    error: str


def failed_tool_calls(attempt: Attempt) -> tuple[FailedToolCall, ...]:
    traced = [(answer.agent, answer.label, answer.trace) for answer in attempt.answers]
    traced += [(vote.voter, None, vote.trace) for vote in attempt.votes]
    found: list[FailedToolCall] = []
    for agent, label, trace in traced:
        if trace is not None:
            found.extend(_failures_in(trace, agent, label))
    return tuple(found)


def _failures_in(trace: TextRef, agent: str, label: str | None) -> list[FailedToolCall]:
    text = trace.read_text()
    if ERROR_HEADING not in text:
        return []
    failures = []
    last_arguments: dict[str, str] = {}
    for heading, body in _tool_sections(text.splitlines()):
        if heading.startswith(CALL_HEADING):
            last_arguments[heading.removeprefix(CALL_HEADING)] = body
        else:
            tool = heading.removeprefix(ERROR_HEADING)
            failures.append(
                FailedToolCall(
                    agent=agent,
                    tool=tool,
                    label=label,
                    trace=trace.path,
                    arguments=shorten(last_arguments.get(tool, ""), MAX_ARGS_CHARS),
                    error=shorten(body, MAX_ERROR_CHARS),
                )
            )
    return failures


def _tool_sections(lines: list[str]) -> list[tuple[str, str]]:
    """(heading, its fenced block) for every tool call and tool error. Fences are
    not tracked across the file: reasoning and answers are written unfenced and
    may hold fences of their own, so only the block right after a heading counts."""
    sections = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line == ERRORS_SUMMARY_HEADING:
            break
        index += 1
        if not line.startswith((CALL_HEADING, ERROR_HEADING)):
            continue
        while index < len(lines) and lines[index].startswith(LABEL_LINE):
            index += 1
        if index >= len(lines) or not lines[index].startswith(FENCE):
            sections.append((line.strip(), ""))
            continue
        body_start = index + 1
        index = body_start
        while index < len(lines) and lines[index] != FENCE:
            index += 1
        sections.append((line.strip(), "\n".join(lines[body_start:index])))
        index += 1
    return sections


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + TRUNCATION_MARK
