"""The built-in `debrief/offline` model: findings computed from a run's facts by
fixed rules, with no LLM and no cost. It is what a fresh install analyses with
before anyone configures a provider key, and LLM analyses get its findings as
part of their input so the model starts from what the numbers already say.

Deterministic: the same facts give the same findings, in the same order, and
the same markdown, byte for byte."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import asdict, dataclass

from analysis.digest.facts import RunFacts

# MassGen's own red flags for enforcement (re-prompting an agent that broke the
# workflow): two or more retries in one round, more than 5,000 characters lost.
ENFORCEMENT_RETRIES_RED_FLAG = 2
BUFFER_CHARS_LOST_RED_FLAG = 5_000
# An agent is a cost outlier when it costs at least this many times the median of
# the others: real mixed-model runs differ by 2-3x without anything being wrong.
COST_OUTLIER_RATIO = 3.0
# Rounds restarted before they produced anything are normal in MassGen (a new
# answer restarts everyone); past this share of the run's cost they are worth a look.
WASTED_COST_SHARE_WARNING = 0.25
# Evidence lines quote log text; a finding shows enough to recognise the event.
MAX_EVIDENCE_ITEMS = 8
MAX_EVIDENCE_CHARS = 240

CRITICAL, WARNING, INFO = "critical", "warning", "info"
SEVERITY_ORDER = (CRITICAL, WARNING, INFO)
SEVERITY_NOUNS = {CRITICAL: "critical finding", WARNING: "warning", INFO: "note"}
PASS, WARN, FAIL = "pass", "warn", "fail"
UNPRODUCTIVE_OUTCOMES = frozenset({"restarted", "error", "timeout"})
COMPLETED = "completed"


@dataclass(frozen=True)
class Finding:
    category: str
    severity: str
    title: str
    evidence: tuple[str, ...]
    recommendation: str

    def to_dict(self) -> dict:
        return {**asdict(self), "evidence": list(self.evidence)}


@dataclass(frozen=True)
class OfflineReport:
    verdict: str
    findings: tuple[Finding, ...]
    report_markdown: str


def analyze(facts: RunFacts) -> OfflineReport:
    found = find(facts)
    verdict = verdict_for(found)
    return OfflineReport(verdict, found, report_markdown(facts, verdict, found))


def find(facts: RunFacts) -> tuple[Finding, ...]:
    found = [
        *_run_outcome(facts),
        *_errors(facts),
        *_enforcement(facts),
        *_tool_failures(facts),
        *_wasted_rounds(facts),
        *_unvoted_agents(facts),
        *_split_vote(facts),
        *_cost_outliers(facts),
    ]
    # Stable sort: within a severity the rules keep the order above.
    return tuple(sorted(found, key=lambda finding: SEVERITY_ORDER.index(finding.severity)))


def verdict_for(findings: tuple[Finding, ...]) -> str:
    severities = {finding.severity for finding in findings}
    if CRITICAL in severities:
        return FAIL
    if WARNING in severities:
        return WARN
    return PASS


def findings_as_facts(findings: tuple[Finding, ...]) -> str:
    """The findings as a section of an LLM's input: the model confirms, explains
    or corrects them instead of recounting what the numbers already say."""
    if not findings:
        return "## Automatic checks\n\nNo rule-based check found anything."
    lines = ["## Automatic checks (rule-based, from the figures above)", ""]
    for finding in findings:
        lines.append(f"- [{finding.severity}] {finding.category}: {finding.title}")
        lines.extend(f"  - {item}" for item in finding.evidence)
    return "\n".join(lines)


def _evidence(items) -> tuple[str, ...]:
    shortened = []
    for item in list(items)[:MAX_EVIDENCE_ITEMS]:
        text = " ".join(str(item).split())
        shortened.append(text if len(text) <= MAX_EVIDENCE_CHARS else text[: MAX_EVIDENCE_CHARS - 1] + "…")
    return tuple(shortened)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {plural or word + 's'}"


def _usd(value: float) -> str:
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def _run_outcome(facts: RunFacts) -> list[Finding]:
    if facts.finish_reason == COMPLETED and facts.complete:
        return []
    details = [f"finish_reason: {facts.finish_reason or 'unknown'}"]
    if facts.finish_details:
        details.append(facts.finish_details)
    if facts.finish_reason == "timeout":
        return [
            Finding(
                "timeouts",
                CRITICAL,
                "The run ended on a timeout before the agents converged",
                _evidence(details),
                "Raise the orchestrator timeout or give the agents a narrower question.",
            )
        ]
    if not facts.complete:
        details.append("coordination files are missing: the run was interrupted")
    return [
        Finding(
            "incomplete_run",
            CRITICAL,
            "The run did not complete",
            _evidence(details),
            "Check massgen.log for the crash and re-run; the figures are reconstructed from what was written.",
        )
    ]


def _errors(facts: RunFacts) -> list[Finding]:
    found = []
    for kind, category in (("error", "errors"), ("timeout", "timeouts")):
        by_agent: dict[str, list[str]] = {}
        for error in facts.errors:
            if error.kind == kind:
                by_agent.setdefault(error.agent or "orchestrator", []).append(error.message)
        for agent, messages in by_agent.items():
            found.append(
                Finding(
                    category,
                    WARNING,
                    f"{agent} hit {_plural(len(messages), kind)}",
                    _evidence(messages),
                    "Look at the provider's status and the agent's backend settings; errors cost rounds and money.",
                )
            )
    return found


def _enforcement(facts: RunFacts) -> list[Finding]:
    found = []
    for entry in facts.enforcement_by_round:
        if entry.attempts >= ENFORCEMENT_RETRIES_RED_FLAG:
            reasons = Counter(entry.reasons)
            found.append(
                Finding(
                    "enforcement",
                    WARNING,
                    f"{entry.agent} was re-prompted {entry.attempts} times in round {entry.round}",
                    _evidence(f"{reason} ×{count}" for reason, count in sorted(reasons.items())),
                    "Two or more retries in a round is MassGen's red flag: check the agent's model follows the "
                    "workflow tools, or its provider's reliability.",
                )
            )
    for reliability in facts.reliability:
        if reliability.buffer_chars_lost > BUFFER_CHARS_LOST_RED_FLAG:
            found.append(
                Finding(
                    "enforcement",
                    WARNING,
                    f"{reliability.agent} lost {reliability.buffer_chars_lost:,} characters of output to re-prompts",
                    _evidence([f"{_plural(reliability.total_retries, 'retry', 'retries')} in total",
                               f"outcome: {reliability.outcome or 'unknown'}"]),
                    f"More than {BUFFER_CHARS_LOST_RED_FLAG:,} characters lost is MassGen's red flag: the agent "
                    "wrote whole answers without calling a workflow tool.",
                )
            )
    return found


def _tool_failures(facts: RunFacts) -> list[Finding]:
    found = []
    for tool in facts.tools:
        if tool.failures:
            failed = [f"{call.agent} {call.label or 'vote'}: {call.error}" for call in facts.failed_tool_calls
                      if call.tool == tool.name]
            found.append(
                Finding(
                    "tool_failures",
                    WARNING,
                    f"{tool.name} failed {tool.failures} of {_plural(tool.calls, 'call')}",
                    _evidence(failed or [f"{tool.failures} failures recorded in the run's metrics"]),
                    "Fix the tool or its arguments' description; agents retry failed tools and pay for it.",
                )
            )
    return found


def _wasted_rounds(facts: RunFacts) -> list[Finding]:
    wasted = [round_ for round_ in facts.rounds if round_.outcome in UNPRODUCTIVE_OUTCOMES]
    if not wasted:
        return []
    wasted_cost = sum(round_.cost_usd for round_ in wasted)
    total_cost = facts.totals.cost_usd
    share = wasted_cost / total_cost if total_cost > 0 else 0.0
    # MassGen often books a restarted round's tokens to the round that follows it.
    spent = f" ({_usd(wasted_cost)}, {share:.0%} of the run's cost)" if wasted_cost > 0 else ""
    return [
        Finding(
            "unproductive_rounds",
            WARNING if share > WASTED_COST_SHARE_WARNING else INFO,
            f"{_plural(len(wasted), 'round')} ended without an answer or a vote{spent}",
            _evidence(f"{round_.agent} round {round_.number}: {round_.outcome}" for round_ in wasted),
            "Rounds restarted by another agent's new answer are discarded work; fewer agents or a shorter "
            "answer phase waste less.",
        )
    ]


def _unvoted_agents(facts: RunFacts) -> list[Finding]:
    found = []
    for agent in facts.agents:
        answers = [answer for answer in facts.answers if answer.agent == agent.id]
        if answers and not any(answer.received_votes for answer in answers):
            found.append(
                Finding(
                    "unvoted_answers",
                    INFO,
                    f"No agent voted for any of {agent.id}'s answers",
                    _evidence(answer.label for answer in answers),
                    f"{agent.id} cost {_usd(agent.cost_usd)} without influencing the result; consider a different "
                    "model or role for it.",
                )
            )
    return found


def _final_votes(facts: RunFacts) -> dict[str, str]:
    """Each voter's last vote (a later vote replaces an earlier one), as voter -> agent voted for."""
    final: dict[str, str] = {}
    for vote in facts.votes:
        if vote.voted_for:
            final[vote.voter] = vote.voted_for
    return final


def _split_vote(facts: RunFacts) -> list[Finding]:
    tally = Counter(_final_votes(facts).values())
    if len(tally) < 2:
        return []
    ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0]))
    split = "–".join(str(count) for _, count in ranked)
    return [
        Finding(
            "split_vote",
            INFO,
            f"The vote was split {split}",
            _evidence(f"{agent}: {_plural(count, 'vote')}" for agent, count in ranked),
            "Read the losing answers: a split vote often means the question allows several readings.",
        )
    ]


def _cost_outliers(facts: RunFacts) -> list[Finding]:
    found = []
    for agent in facts.agents:
        others = [other.cost_usd for other in facts.agents if other.id != agent.id]
        if not others:
            continue
        median = statistics.median(others)
        if median > 0 and agent.cost_usd >= COST_OUTLIER_RATIO * median:
            found.append(
                Finding(
                    "cost_outlier",
                    INFO,
                    f"{agent.id} cost {agent.cost_usd / median:.1f}× the other agents' median",
                    _evidence([f"{agent.id} ({agent.model or 'unknown model'}): {_usd(agent.cost_usd)}",
                               f"median of the others: {_usd(median)}"]),
                    "Check the agent earns its cost in votes won; a cheaper model may do as well.",
                )
            )
    return found


def _cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


def report_markdown(facts: RunFacts, verdict: str, findings: tuple[Finding, ...]) -> str:
    counts = Counter(finding.severity for finding in findings)
    tally = ", ".join(_plural(counts[s], SEVERITY_NOUNS[s]) for s in SEVERITY_ORDER if counts[s]) or "no findings"
    lines = [
        "# Offline analysis",
        "",
        f"**Verdict: {verdict}** ({tally}). Computed by rules from the run's figures, without an LLM.",
        "",
        f"- Question: {_cell(facts.question or 'unknown')}",
        f"- Session `{facts.session_id}`, turn {facts.turn} attempt {facts.attempt}: {facts.finish_reason or 'unknown'}",
        f"- Winner: {_cell(facts.winner or 'none')}",
        f"- Cost: {_usd(facts.totals.cost_usd)}, {facts.totals.input_tokens:,} input and "
        f"{facts.totals.output_tokens:,} output tokens",
        "",
        "## Agents",
        "",
        "| agent | model | answers | votes cast | errors | cost |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {_cell(a.id)} | {_cell(a.model or '')} | {a.answers} | {a.votes_cast} | {a.errors} | {_usd(a.cost_usd)} |"
        for a in facts.agents
    ]
    lines += ["", "## Findings"]
    if not findings:
        lines += ["", "Nothing to report: no errors, retries, tool failures or wasted rounds."]
    for finding in findings:
        lines += ["", f"### {finding.severity}: {_cell(finding.title)}", ""]
        lines += [f"- {_cell(item)}" for item in finding.evidence]
        lines += ["", f"*Recommendation:* {finding.recommendation}"]
    return "\n".join(lines) + "\n"


def digest_findings(facts: RunFacts) -> str:
    """The findings as the digest carries them (`build_digest(..., findings=digest_findings)`)."""
    return findings_as_facts(find(facts))
