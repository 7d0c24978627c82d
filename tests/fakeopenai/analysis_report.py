"""The fake's default answer when a caller asks for Debrief's analysis schema:
a valid report that cites the kinds of evidence real findings cite."""

from __future__ import annotations

DEFAULT_ANALYSIS_REPORT = {
    "verdict": "warn",
    "report_markdown": (
        "# Analysis\n\nThe final answer is correct; agent_b repeated agent_a's search (agent1.1, agent2.1)."
    ),
    "findings": [
        {
            "category": "duplicated_work",
            "severity": "warning",
            "title": "Two agents ran the same search",
            "evidence": ["agent1.1", "agent2.1", "agent_b"],
            "recommendation": "Give each agent a distinct sub-question in the system message.",
        }
    ],
}
