"""What Debrief asks the analysis model, and how a run is laid out in the request.

Shared by compression (which needs the exact final request to know what fits) and
the analyzer (which sends it). The final request is always: the instructions, the
material (raw, compacted or summarised), then the digest with the task, verbatim."""

from __future__ import annotations

from typing import Any

from analysis.report.input import AnalysisInput
from analysis.llm.calls import Prompt, user_message

CATEGORIES = (
    "correctness",
    "efficiency",
    "repeated_commands",
    "duplicated_work",
    "voting",
    "cost",
    "errors",
    "reasoning",
    "tool_reliability",
    "enforcement",
    "answer_progression",
    "model_allocation",
)

INSTRUCTIONS = f"""\
You are Debrief, reviewing one run of MassGen: several LLM agents each answer the same question, \
read each other's answers, answer again or vote, and the winner presents the final answer. You \
receive raw material from the run's logs (answers, votes, traces, events), or a condensed form of \
it, and then the run's key facts: a digest computed from the logs whose figures are exact. Trust \
the digest's figures over anything else and do not recompute them differently.

Judge the run on each point below, and say so when the material is not enough to judge one:
1. Correctness of the final answer: does it answer the question asked, completely and correctly? \
Compare it with the other agents' answers.
2. Efficiency and bottlenecks: where time and tokens went; which agent, round or tool held the run up.
3. Repeated commands: the same tool call or command run again and again, by one agent or across rounds.
4. Duplicated work between agents: the same searches, files read or code written by several agents \
instead of divided work.
5. Decisions and voting: who voted for whom and why; whether the reasons hold up; votes for weaker \
answers, ignored votes, restarts.
6. Cost and tokens: in total and per agent; input, output and reasoning; the cache hit rate (cached \
input / input) and where caching would have saved money.
7. Errors: API errors, time-outs, crashes, and what they cost.
8. Reasoning quality: sound reasoning, or circles, hallucinations and claims that contradict the evidence.
9. Tool reliability: failures by tool, retries, MCP disconnects.
10. Enforcement retries (the orchestrator re-prompting an agent: no workflow tool, invalid vote, \
duplicate answer, ...). Red flags: two or more retries in one round, or more than 5,000 characters lost.
11. Answer quality across rounds: how each agent's answers changed (agent1.1 -> agent1.2 -> ...), and \
the return on each extra round: did it improve the final answer enough to justify its cost and time?
12. Model allocation: whether each agent's model suited its job, and where a cheaper or a stronger \
model would have served better.

Evidence: cite what you rely on exactly as the material writes it: answer labels (agent1.2), vote \
labels (agent2.vote1), final answers (agent1.final), agent ids, file paths, tool names, and section \
keys in square brackets ([answer:agent1.2]). Never cite a label that is not in the material.

Verdict: "pass" when the final answer is right and the run had no serious problem; "warn" when the \
answer is acceptable but the run wasted notable time, money or effort, or shows a red flag; "fail" \
when the final answer is wrong or missing, or the run broke down.

Reply with one JSON object matching the schema: "verdict"; "report_markdown", a report in Markdown \
that opens with a short summary and then has one section per point above that has something to say; \
and "findings", one per distinct issue or notable strength, each with a "category" (one of \
{", ".join(CATEGORIES)}), a "severity" (info, warning or critical), a one-line "title", the \
"evidence" labels, and a concrete "recommendation"."""

FINDING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
        "title": {"type": "string"},
        "evidence": {"type": "array", "items": {"type": "string"}},
        "recommendation": {"type": "string"},
    },
    "required": ["category", "severity", "title", "evidence", "recommendation"],
    "additionalProperties": False,
}

REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["pass", "warn", "fail"]},
        "report_markdown": {"type": "string"},
        "findings": {"type": "array", "items": FINDING_SCHEMA},
    },
    "required": ["verdict", "report_markdown", "findings"],
    "additionalProperties": False,
}

REPORT_FORMAT: dict[str, Any] = {"name": "debrief_analysis", "schema": REPORT_SCHEMA, "strict": True}

RAW_INTRO = (
    'Raw material from the logs of the MassGen run "{title}", section by section. Each section '
    "heading ends with the section's key in square brackets."
)
COMPACTION_INTRO = (
    'The assistant messages below carry raw material from the logs of the MassGen run "{title}", '
    "for an analysis that follows. Each section heading ends with the section's key in square brackets."
)
SUMMARIES_INTRO = (
    'Condensed raw material from the logs of the MassGen run "{title}" (the full material did not fit '
    "in one request). Each summary names the section keys it covers."
)
FACTS_HEADING = "# Key facts of the run (the digest: exact figures computed from the logs)"
TASK = "Analyse the run as instructed and reply with the JSON object only."


def raw_material(analysis_input: AnalysisInput) -> list[dict[str, Any]]:
    if not analysis_input.raw:
        return []
    intro = RAW_INTRO.format(title=analysis_input.run_title)
    return [user_message(f"{intro}\n\n{analysis_input.raw_text()}")]


def facts_message(analysis_input: AnalysisInput) -> dict[str, Any]:
    return user_message(f"{FACTS_HEADING}\n\n{analysis_input.facts}\n\n{TASK}")


def analysis_prompt(analysis_input: AnalysisInput, material: list[dict[str, Any]]) -> Prompt:
    return Prompt(INSTRUCTIONS, [*material, facts_message(analysis_input)])
