"""What `debrief runs summary` prints: the JSON contract, or its human form,
a compact table per attempt rendered from that contract so both outputs
always agree."""

from __future__ import annotations

from json import dumps
from pathlib import Path
from typing import Any

from analysis.massgen.reader import read_session
from analysis.massgen.summary import summarize

_QUESTION_CHARS = 100
_COLUMNS = (
    ("agent", "id", "<"),
    ("backend", "backend", "<"),
    ("model", "model", "<"),
    ("ans", "answers", ">"),
    ("votes", "votes_cast", ">"),
    ("in tok", "input_tokens", ">"),
    ("out tok", "output_tokens", ">"),
    ("reason", "reasoning_tokens", ">"),
    ("cost $", "cost_usd", ">"),
    ("err", "errors", ">"),
    ("retry", "enforcement_retries", ">"),
    ("restarts", "restarts", ">"),
    ("backoff", "provider_retries", ">"),
)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _table(rows: list[list[str]], aligns: list[str]) -> list[str]:
    widths = [max(len(row[index]) for row in rows) for index in range(len(aligns))]
    return ["  ".join(f"{cell:{align}{width}}" for cell, align, width in zip(row, aligns, widths)).rstrip() for row in rows]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "duration unknown"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s" if minutes else f"{rest:.1f} s"


def _attempt(turn: int, attempt: dict[str, Any]) -> list[str]:
    status = "accepted" if attempt["accepted"] else "restarted"
    completeness = "" if attempt["complete"] else ", incomplete"
    lines = [
        f"Turn {turn}, attempt {attempt['attempt']} ({status}{completeness}): {attempt['finish_reason']}, "
        f"{_duration(attempt['duration_seconds'])}, winner {attempt['winner'] or '-'}",
    ]
    if not attempt["accepted"]:
        lines.append(
            f"  restarted by post-evaluation: answer presented by {attempt.get('presented_by') or '-'} was rejected"
            f" ({attempt.get('restart_reason') or 'reason not recorded'})"
        )
    if attempt.get("likely_crash"):
        lines.append("  likely crash: post-evaluation ended without a verdict and no restart followed")
    question = attempt["question"] or "(question unknown)"
    if len(question) > _QUESTION_CHARS:
        question = question[: _QUESTION_CHARS - 1] + "…"
    lines.append(f"  Q: {question}")
    header = [title for title, _, _ in _COLUMNS]
    rows = [[_cell(agent[key]) for _, key, _ in _COLUMNS] for agent in attempt["agents"]]
    totals = attempt["totals"]
    total_row = ["total", "", "", "", str(len(attempt["votes"]))]
    total_row += [_cell(totals[key]) for key in ("input_tokens", "output_tokens", "reasoning_tokens", "cost_usd")]
    total_row += [str(len(attempt["errors"])), "", str(attempt.get("restarts", 0)), ""]
    table = _table([header, *rows, total_row], [align for _, _, align in _COLUMNS])
    lines += ["  " + line for line in table]
    if attempt["votes"]:
        cast = (f"{vote['voter']} -> {vote['voted_for']} ({vote['label'] or '?'})" for vote in attempt["votes"])
        lines.append("  votes: " + "; ".join(cast))
    outcomes = ", ".join(f"{outcome} {count}" for outcome, count in attempt["rounds_by_outcome"].items() if count)
    tools = (
        f"{attempt['tool_calls']} calls, {attempt['tool_failures']} failed" if attempt["tool_calls"] is not None else "not recorded"
    )
    lines.append(f"  rounds: {outcomes or 'none'}; tools: {tools}")
    lines += [f"  provider back-off: {retry['agent'] or '-'}: {retry['message'][:160]}" for retry in attempt.get("provider_retries", [])]
    lines += [f"  {error['kind']}: {error['agent'] or '-'}: {error['message'][:160]}" for error in attempt["errors"]]
    lines += [f"  warning: {warning}" for warning in attempt["warnings"]]
    return lines


def render_table(summary: dict[str, Any]) -> str:
    version = summary["massgen_version"] or "unknown version"
    lines = [f"Session {summary['session_id']} (MassGen {version})"]
    lines += [f"warning: {warning}" for warning in summary.get("warnings", [])]
    for turn in summary["turns"]:
        for attempt in turn["attempts"]:
            lines.append("")
            lines += _attempt(turn["turn"], attempt)
    return "\n".join(lines) + "\n"


def summary_output(path: Path, as_json: bool) -> str:
    """The text `debrief runs summary` prints for a run folder or archive.
    Raises RunFormatError naming the file and the reason."""
    summary = summarize(read_session(path))
    if as_json:
        return dumps(summary, indent=2, ensure_ascii=False) + "\n"
    return render_table(summary)
