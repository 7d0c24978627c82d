"""`RunFacts` as compact, deterministic text: the part of the analysis input that
is always sent verbatim. Every line states facts from the run; nothing here is
interpretation. Times are offsets from the attempt's start, because what a
reader of a run asks is "how long after the start", not the wall clock."""

from __future__ import annotations

from datetime import datetime

from analysis.digest.facts import RunFacts

NONE = "none"
# One-line views of long texts (failed tool errors) stop here; the raw material
# carries them in full.
ONE_LINE_CHARS = 300


def usd(value: float) -> str:
    return f"${value:.6f}"


def vote_arrow(voter: str, target: str | None) -> str:
    return f"{voter}→{target or '?'}"


def one_line(text: str) -> str:
    """Whitespace (newlines included) collapsed: one fact, one line."""
    return " ".join(text.split())


def totals_phrases(facts: RunFacts) -> list[str]:
    totals = facts.totals
    if not facts.usage_recorded:
        return [f"tokens and cost {facts.not_recorded}"]
    return [
        f"input tokens {totals.input_tokens}",
        f"output tokens {totals.output_tokens}",
        f"reasoning tokens {totals.reasoning_tokens}",
        f"cached input tokens {totals.cached_input_tokens}",
        f"cost {usd(totals.cost_usd)}",
    ]


def render_facts(facts: RunFacts) -> str:
    sections = [
        _overview(facts),
        _agents(facts),
        _answers(facts),
        _votes(facts),
        _errors(facts),
        _enforcement(facts),
        _rounds(facts),
        _tools(facts),
        _events(facts),
        _massgen_figures(facts),
        _extras(facts),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _offset(facts: RunFacts, at: datetime | None) -> str:
    if at is None:
        return "at ?"
    if facts.started_at is None:
        return f"at {at:%H:%M:%S}"
    return f"+{(at - facts.started_at).total_seconds():.1f}s"


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}s"


def _milliseconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}ms"


def _count(number: int, singular: str, plural: str | None = None) -> str:
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def _opt(value: object) -> str:
    return "?" if value is None else str(value)


def _overview(facts: RunFacts) -> str:
    attempt_state = "accepted" if facts.accepted else "not accepted"
    lines = [
        "# Run facts",
        f"session: {facts.session_id}; MassGen {_opt(facts.massgen_version)}",
        f"turn {facts.turn} of {facts.turns}; attempt {facts.attempt} ({attempt_state})",
        f"question: {one_line(facts.question or '?')}",
        f"finish: {facts.finish_reason}" + (f" ({one_line(facts.finish_details)})" if facts.finish_details else "")
        + ("" if facts.complete else "; INCOMPLETE (coordination did not finish)"),
        f"winner: {facts.winner or NONE}"
        + (f"; presented by {facts.presented_by}" if facts.presented_by and facts.presented_by != facts.winner else ""),
        *_restart_lines(facts),
        f"final answer: {'missing' if facts.final_answer_bytes is None else f'{facts.final_answer_bytes} bytes'}",
        f"started: {'?' if facts.started_at is None else f'{facts.started_at:%Y-%m-%d %H:%M:%S}'}; "
        f"wall time {_seconds(facts.duration_seconds)}",
        "totals: " + ", ".join(totals_phrases(facts))
        + (f"; subagents {usd(facts.totals.subagent_cost_usd)}" if facts.totals.subagent_cost_usd else ""),
        "rounds by outcome: " + (", ".join(f"{name} {count}" for name, count in facts.rounds_by_outcome) or NONE),
        f"tool calls {facts.tool_calls}, tool failures {facts.tool_failures}"
        if facts.tools_recorded
        else f"tool calls {facts.not_recorded}",
        f"restarts {facts.restarts} (restart triggers {facts.restart_triggers})",
    ]
    return "\n".join(lines)


def _restart_lines(facts: RunFacts) -> list[str]:
    lines = []
    if not facts.accepted:
        lines.append(
            f"restarted: post-evaluation rejected the answer presented by {facts.presented_by or '?'}; "
            f"reason: {one_line(facts.restart_reason or 'not recorded')}"
        )
    if facts.likely_crash:
        lines.append("LIKELY CRASH: post-evaluation ended without a verdict and no restart followed")
    if facts.tracker_reset:
        lines.append("MassGen reset its coordination tracker: answers and votes come from the snapshot folders")
    return lines


def _agent_usage(facts: RunFacts, agent) -> str:
    if not agent.usage_recorded:
        return f"tokens and cost {facts.not_recorded}"
    return (
        f"tokens in {agent.input_tokens} out {agent.output_tokens} reasoning {agent.reasoning_tokens} "
        f"cached {agent.cached_input_tokens}; cost {usd(agent.cost_usd)}"
    )


def _agents(facts: RunFacts) -> str:
    lines = [f"## Agents ({len(facts.agents)})"]
    for agent in facts.agents:
        labels = ", ".join(agent.answer_labels) or NONE
        lines.append(
            f"- {agent.id}: model {agent.model or '?'} (backend {agent.backend or '?'}); status {agent.status or '?'}; "
            f"answers {agent.answers} ({labels}); votes cast {agent.votes_cast}; restarts {agent.restarts}; "
            f"errors {agent.errors}; "
            f"enforcement retries {agent.enforcement_retries if agent.enforcement_recorded else facts.not_recorded}; "
            f"provider back-offs {_opt(agent.provider_retries) if agent.provider_retries is not None else facts.not_recorded}; "
            + _agent_usage(facts, agent)
        )
    return "\n".join(lines)


def _answers(facts: RunFacts) -> str:
    lines = [f"## Answers ({len(facts.answers)}, in order given)"]
    for answer in facts.answers:
        votes = f"{_count(len(answer.voters), 'vote')} ({', '.join(answer.voters)})" if answer.voters else "no votes"
        size = "text missing" if answer.size_bytes is None else f"{answer.size_bytes} bytes"
        lines.append(
            f"- {answer.label} by {answer.agent}, round {_opt(answer.round)}, {_offset(facts, answer.at)}, {size}: {votes}"
        )
    return "\n".join(lines)


def _votes(facts: RunFacts) -> str:
    lines = [f"## Votes ({len(facts.votes)}, in order cast, replaced votes included)"]
    for vote in facts.votes:
        target = f" (answer of {vote.voted_for})" if vote.voted_for else ""
        lines.append(
            f"- {vote_arrow(vote.voter, vote.label or vote.voted_for)}{target}, round {_opt(vote.round)}, "
            f"{_offset(facts, vote.at)}: {one_line(vote.reason) or '(no reason given)'}"
        )
    return "\n".join(lines)


def _errors(facts: RunFacts) -> str:
    lines = [f"## Errors and timeouts ({len(facts.errors)})"]
    for error in facts.errors:
        lines.append(
            f"- {error.kind} {_offset(facts, error.at)}, agent {error.agent or '(run)'}, from {error.source}: "
            f"{one_line(error.message)}"
        )
    if facts.provider_retries:
        lines.append(f"provider back-offs MassGen retried itself ({len(facts.provider_retries)}):")
        lines += [
            f"- back-off, agent {retry.agent or '(unattributed)'}, from {retry.source}: {one_line(retry.message)}"
            for retry in facts.provider_retries
        ]
    return "\n".join(lines if facts.errors or facts.provider_retries else [*lines, NONE])


def _enforcement(facts: RunFacts) -> str:
    lines = ["## Enforcement (orchestrator re-prompts)"]
    lines += [f"- {a.id}: {_count(a.enforcement_retries, 're-prompt')}" for a in facts.agents if a.enforcement_retries]
    for agent in facts.reliability:
        lines.append(
            f"- {agent.agent} (status.json): {_count(agent.total_retries, 'retry', 'retries')}, "
            f"{agent.buffer_chars_lost} buffer chars lost, {agent.workflow_errors} workflow errors, "
            f"outcome {agent.outcome or '?'}"
        )
    for entry in facts.enforcement_by_round:
        lines.append(
            f"- {entry.agent} round {_opt(entry.round)}: {_count(entry.attempts, 'attempt')}, "
            f"{entry.buffer_chars_lost} buffer chars lost ({', '.join(entry.reasons)})"
        )
    for entry in facts.enforcement:
        message = f": {one_line(entry.error_message)}" if entry.error_message else ""
        lines.append(
            f"  - {entry.agent} round {_opt(entry.round)} attempt {_opt(entry.attempt)}: {entry.reason}, "
            f"{entry.buffer_chars} chars{message}"
        )
    return "\n".join(lines if len(lines) > 1 else [*lines, NONE])


def _rounds(facts: RunFacts) -> str:
    lines = [f"## Rounds ({len(facts.rounds)}; tokens are per round)"]
    for r in facts.rounds:
        lines.append(
            f"- {r.agent} round {_opt(r.number)} {r.type or '?'}→{r.outcome or '?'}: in {r.input_tokens} "
            f"out {r.output_tokens} reasoning {r.reasoning_tokens} cached {r.cached_input_tokens}, "
            f"{usd(r.cost_usd)}, {_milliseconds(r.duration_ms)}, tokens from {r.token_source or '?'}"
        )
    return "\n".join(lines)


def _tools(facts: RunFacts) -> str:
    if not facts.tools_recorded:
        return f"## Tools\n{facts.not_recorded}"
    lines = [f"## Tools ({len(facts.tools)})"]
    lines += [
        f"- {tool.name}: {tool.calls} calls, {tool.failures} failures, {_milliseconds(tool.total_ms)} total"
        for tool in facts.tools
    ]
    if facts.failed_tool_calls:
        lines.append(f"failed calls ({len(facts.failed_tool_calls)}):")
        for call in facts.failed_tool_calls:
            where = call.label or "vote"
            lines.append(f"- {call.agent} ({where}) {call.tool}: {one_line(call.error)[:ONE_LINE_CHARS]}")
    return "\n".join(lines)


def _events(facts: RunFacts) -> str:
    if not facts.events:
        return ""
    lines = [f"## Restarts and ignored votes ({len(facts.events)})"]
    lines += [
        f"- {event.kind} {_offset(facts, event.at)}, agent {event.agent or '(run)'}: {one_line(event.details)}"
        for event in facts.events
    ]
    return "\n".join(lines)


def _massgen_figures(facts: RunFacts) -> str:
    """What `massgen logs summary` shows: API timing, context usage, the analysis report."""
    lines = ["## MassGen's own figures"]
    timing = facts.api_timing
    if timing is None:
        lines.append(f"API timing: {facts.not_recorded}")
    else:
        lines.append(
            f"API timing: {_opt(timing.total_calls)} calls, {_milliseconds(timing.total_time_ms)} total, "
            f"average {_milliseconds(timing.avg_time_ms)}, time to first token {_milliseconds(timing.avg_ttft_ms)}"
        )
        lines += [
            f"- {item.backend}: {_opt(item.calls)} calls, {_milliseconds(item.time_ms)}, "
            f"time to first token {_milliseconds(item.ttft_ms)}"
            for item in timing.by_backend
        ]
    if facts.avg_context_usage_pct is None and not facts.peak_context_usage_pct:
        lines.append(f"context usage: {facts.not_recorded}")
    else:
        peaks = ", ".join(f"{agent} {pct:.1f}%" for agent, pct in facts.peak_context_usage_pct) or "?"
        average = "?" if facts.avg_context_usage_pct is None else f"{facts.avg_context_usage_pct:.1f}%"
        lines.append(f"context usage: average {average} of the window; peak per agent {peaks}")
    if facts.analysis_report:
        lines.append(f"MassGen analysis report: {facts.analysis_report}")
    return "\n".join(lines)


def _extras(facts: RunFacts) -> str:
    lines = []
    if facts.subagents:
        statuses = dict(facts.subagent_statuses)
        lines.append(f"## Subagents ({len(facts.subagents)})")
        lines += [
            f"- {s.id}: status {statuses.get(s.id) or '?'}; tokens in {s.input_tokens} out {s.output_tokens}, "
            f"cost {usd(s.cost_usd)}"
            for s in facts.subagents
        ]
    if facts.other_attempts:
        lines.append(f"## Other attempts of turn {facts.turn}")
        lines += [_other_attempt(other) for other in facts.other_attempts]
    if facts.warnings:
        lines.append("## Reader warnings")
        lines += [f"- {one_line(warning)}" for warning in facts.warnings]
    return "\n".join(lines)


def _other_attempt(other) -> str:
    if other.accepted:
        return f"- attempt {other.number} (accepted): {other.finish_reason}, winner {other.winner or NONE}"
    return (
        f"- attempt {other.number} (restarted after {_seconds(other.duration_seconds)}): post-evaluation rejected "
        f"the answer presented by {other.presented_by or '?'}; reason: {one_line(other.restart_reason or 'not recorded')}"
    )
