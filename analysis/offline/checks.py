"""The built-in `debrief/offline` model: findings computed from a run's facts by
fixed rules, with no LLM and no cost. It is what a fresh install analyses with
before anyone configures a provider key, and LLM analyses get its findings as
part of their input so the model starts from what the numbers already say.

Deterministic: the same facts give the same findings, in the same order, and
the same markdown, byte for byte."""

from __future__ import annotations

import re
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

# A restart cascade: MassGen restarts every agent on each new answer, so one
# restart per answer is the design; at least as many restarts as agents, and
# more than one per answer, is a cascade (the real 0.1.1 run: 17 restarts, 7
# agents, 7 answers, 22 minutes instead of 2-3).
RESTART_CASCADE_MIN_PER_AGENT = 1
# A vote or two arriving after an answer changed is routine; this many ignored
# votes means agents kept voting on stale answers (the 0.1.43 no-tools timeout run: 51).
IGNORED_VOTES_WARNING = 5
# How provider SDKs and MassGen name an HTTP status in an error message.
_HTTP_STATUS = re.compile(
    r"(?:error code|status code|status|http)[:= ]*([45]\d\d)\b|\b([45]\d\d) (?:Too Many Requests|Internal Server Error|Bad Gateway"
    r"|Service Unavailable|Gateway Timeout|Unauthorized|Forbidden|Not Found|Bad Request)",
    re.IGNORECASE,
)
CRITICAL, WARNING, INFO = "critical", "warning", "info"
# Within a severity, the order a person would lead with: what defines the run
# (it crashed, timed out, restarted itself over and over) before what explains it.
LEAD_ORDER = (
    "crash",
    "incomplete_run",
    "timeouts",
    "restart_cascade",
    "orchestration_restart",
    "provider_backoff",
    "errors",
    "ignored_votes",
    "enforcement",
    "tool_failures",
    "split_vote",
    "unproductive_rounds",
    "unvoted_answers",
    "cost_outlier",
)
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
        *_restart_cascade(facts),
        *_orchestration_restart(facts),
        *_ignored_votes(facts),
        *_provider_backoffs(facts),
        *_errors(facts),
        *_enforcement(facts),
        *_tool_failures(facts),
        *_split_vote(facts),
        *_wasted_rounds(facts),
        *_unvoted_agents(facts),
        *_cost_outliers(facts),
    ]
    # Severity first; within a severity, what a person would lead with (LEAD_ORDER),
    # then the order the rules found them in.
    return tuple(sorted(found, key=lambda finding: (SEVERITY_ORDER.index(finding.severity), _lead(finding.category))))


def _lead(category: str) -> int:
    return LEAD_ORDER.index(category) if category in LEAD_ORDER else len(LEAD_ORDER)


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


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "an unknown time"
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.0f} s" if minutes else f"{rest:.1f} s"


def _run_outcome(facts: RunFacts) -> list[Finding]:
    if facts.finish_reason == COMPLETED and facts.complete:
        return []
    details = [f"finish_reason: {facts.finish_reason or 'unknown'}"]
    if facts.finish_details:
        details.append(facts.finish_details)
    if facts.likely_crash:
        return [
            Finding(
                "crash",
                CRITICAL,
                "MassGen likely crashed: post-evaluation ended without a verdict and no restart followed",
                _evidence([*details, "the attempt's end-of-run files (metrics, coordination record) are missing"]),
                "Read the end of massgen.log for the traceback; the run's answer was never accepted.",
            )
        ]
    if facts.finish_reason == "timeout":
        ignored = len(facts.ignored_votes)
        if ignored:
            details.append(f"{_plural(ignored, 'vote')} ignored by the orchestrator before the timeout")
        return [
            Finding(
                "timeouts",
                CRITICAL,
                "The run ended on a timeout before the agents converged"
                + (f" ({_plural(ignored, 'vote')} ignored)" if ignored else ""),
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


def _restart_cascade(facts: RunFacts) -> list[Finding]:
    agents = len(facts.agents)
    answers = len(facts.answers)
    if not agents or facts.restarts < agents * RESTART_CASCADE_MIN_PER_AGENT or facts.restarts <= answers:
        return []
    restarted = [agent for agent in facts.agents if agent.restarts]
    events = facts.restart_events
    evidence = [
        f"{facts.restarts} restarts for {_plural(answers, 'answer')} from {_plural(agents, 'agent')} "
        f"({facts.restart_triggers} restart triggers); agents affected: {len(restarted)} of {agents}",
        "restarts per agent: " + ", ".join(f"{agent.id} {agent.restarts}" for agent in facts.agents),
        f"about {facts.restarts * agents} agent calls restarted (each restart re-runs all {agents} agents)",
    ]
    if events and facts.started_at and events[0].at and events[-1].at:
        first, last = (events[0].at - facts.started_at).total_seconds(), (events[-1].at - facts.started_at).total_seconds()
        evidence.append(f"restarts from +{first:.0f} s to +{last:.0f} s of a run that took {_duration(facts.duration_seconds)}")
    elif facts.duration_seconds is not None:
        evidence.append(f"the run took {_duration(facts.duration_seconds)}")
    return [
        Finding(
            "restart_cascade",
            WARNING,
            f"Restart cascade: {facts.restarts} restarts across {len(restarted)} of {agents} agents "
            f"made the run take {_duration(facts.duration_seconds)}",
            _evidence(evidence),
            "Every new answer restarts all agents: fewer agents, a lower max answer count per agent, or "
            "letting late agents vote instead of answering cuts the restarts.",
        )
    ]


def _orchestration_restart(facts: RunFacts) -> list[Finding]:
    found = []
    restarted = [other for other in facts.other_attempts if not other.accepted]
    if not facts.accepted:
        restarted = [*restarted]
        found.append(
            Finding(
                "orchestration_restart",
                WARNING,
                f"Post-evaluation rejected {facts.presented_by or 'the presented'}'s answer and restarted the turn",
                _evidence([f"reason: {facts.restart_reason or 'not recorded'}", f"this attempt ran {_duration(facts.duration_seconds)}"]),
                "Read the reason: it names what the final answer lacked; the restart repeats the whole attempt.",
            )
        )
    for other in restarted:
        found.append(
            Finding(
                "orchestration_restart",
                WARNING,
                f"Attempt {other.number} was restarted: post-evaluation rejected "
                f"{other.presented_by or 'the presented'}'s answer",
                _evidence([f"reason: {other.restart_reason or 'not recorded'}", f"that attempt ran {_duration(other.duration_seconds)}"]),
                "Read the reason: it names what the final answer lacked; the restart repeats the whole attempt.",
            )
        )
    return found


def _ignored_votes(facts: RunFacts) -> list[Finding]:
    ignored = facts.ignored_votes
    if not ignored:
        return []
    by_agent = Counter(event.agent or "(unknown)" for event in ignored)
    return [
        Finding(
            "ignored_votes",
            WARNING if len(ignored) >= IGNORED_VOTES_WARNING else INFO,
            f"{_plural(len(ignored), 'vote was', 'votes were')} ignored by the orchestrator",
            _evidence(
                [", ".join(f"{agent} {count}" for agent, count in sorted(by_agent.items())), *(e.details for e in ignored)]
            ),
            "Votes cast after an answer changed are ignored: agents kept voting on stale answers instead of converging.",
        )
    ]


def _provider_backoffs(facts: RunFacts) -> list[Finding]:
    by_agent: dict[str, list[str]] = {}
    for retry in facts.provider_retries:
        by_agent.setdefault(retry.agent or "an agent", []).append(retry.message)
    return [
        Finding(
            "provider_backoff",
            WARNING,
            f"{agent}'s provider rate-limited it: MassGen backed off and retried {_plural(len(messages), 'time')}",
            _evidence(messages),
            "No error round records this: the wait shows only as wall time. Raise the provider's rate limit or "
            "space the agents' calls.",
        )
        for agent, messages in by_agent.items()
    ]


def _errors(facts: RunFacts) -> list[Finding]:
    found = []
    for kind, category in (("error", "errors"), ("timeout", "timeouts")):
        by_agent: dict[str, list[str]] = {}
        for error in facts.errors:
            if error.kind == kind:
                by_agent.setdefault(error.agent or "orchestrator", []).append(error.message)
        for agent, messages in by_agent.items():
            statuses = _http_statuses(messages)
            found.append(
                Finding(
                    category,
                    WARNING,
                    f"{agent} hit {_plural(len(messages), kind)}" + (f": HTTP {', '.join(statuses)}" if statuses else ""),
                    _evidence(messages),
                    "Look at the provider's status and the agent's backend settings; errors cost rounds and money.",
                )
            )
    return found


def _http_statuses(messages: list[str]) -> list[str]:
    """The HTTP statuses the providers' error messages name ("Error code: 500",
    "HTTP 503", "status code 429", "429 Too Many Requests"), in order of first mention."""
    found = [match.group(1) or match.group(2) for message in messages for match in _HTTP_STATUS.finditer(message)]
    return list(dict.fromkeys(found))


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
    total_cost = facts.totals.cost_usd if facts.usage_recorded else 0.0
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
                    f"{agent.id} cost {_agent_cost(facts, agent)} without influencing the result; consider a "
                    "different model or role for it.",
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


def _agent_cost(facts: RunFacts, agent) -> str:
    return _usd(agent.cost_usd) if agent.usage_recorded else f"an amount {facts.not_recorded}"


def _cost_outliers(facts: RunFacts) -> list[Finding]:
    if not facts.usage_recorded:
        return []
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
        f"{facts.totals.output_tokens:,} output tokens"
        if facts.usage_recorded
        else f"- Cost and tokens: {facts.not_recorded}",
        f"- Wall time: {_duration(facts.duration_seconds)}; restarts: {facts.restarts}",
        "",
        "## Agents",
        "",
        "| agent | model | answers | votes cast | errors | cost |",
        "|---|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {_cell(a.id)} | {_cell(a.model or '')} | {a.answers} | {a.votes_cast} | {a.errors} | "
        f"{_usd(a.cost_usd) if a.usage_recorded else 'not recorded'} |"
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
