"""AnalysisInputs of chosen sizes whose raw material is full of the references
findings cite: answer and vote labels, agent ids, file paths, section keys."""

from __future__ import annotations

from analysis.report.input import AnalysisInput, RawPart

FACTS = (
    "Question: Which sorting algorithm suits nearly sorted data?\n"
    "Agents: agent_a (gpt-5-mini), agent_b (gpt-5-nano), agent_c (gpt-5-mini)\n"
    "Winner: agent_a with agent1.2 (2 of 3 votes); final answer agent1.final\n"
    "Cost: $0.0421 total; cache hit rate 37.5 %\n"
    "Enforcement: agent_b 2 retries in round 3, 6,120 characters lost (red flag)"
)
AGENTS = ("agent_a", "agent_b", "agent_c")
CHARS_PER_TOKEN_ROUGHLY = 4


def trace_line(agent_index: int, step: int) -> str:
    agent = AGENTS[agent_index]
    label = f"agent{agent_index + 1}.{step % 3 + 1}"
    return (
        f"{step:05d} {agent} round {step % 4 + 1} ({label}): ran `pytest tests/test_sort_{step % 7}.py` "
        f"in src/sorting/insertion_{step % 5}.py, {step % 11} failures, vote agent{(step % 3) + 1}.vote{step % 2 + 1}"
    )


def run_input(raw_tokens: int, *, facts: str = FACTS, title: str = "Sorting nearly sorted data") -> AnalysisInput:
    """About `raw_tokens` of raw material, split evenly into one trace per agent."""
    per_agent_chars = raw_tokens * CHARS_PER_TOKEN_ROUGHLY // len(AGENTS)
    parts = []
    for index, agent in enumerate(AGENTS):
        lines, size, step = [], 0, 0
        while size < per_agent_chars:
            line = trace_line(index, step)
            lines.append(line)
            size += len(line) + 1
            step += 1
        parts.append(RawPart(f"trace:{agent}", f"Execution trace of {agent}", "\n".join(lines)))
    return AnalysisInput(title, facts, tuple(parts))
