"""How the report page shows an analysis: its one-line verdict, the report
without the findings the table above it already lists, and evidence labels
linked to the run page."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlencode

from django import template
from django.utils.safestring import mark_safe

from webapp.core.markdown import render_markdown

register = template.Library()

SEVERITY_ORDER = ("critical", "warning", "info")
# An answer label as MassGen writes it (agent1.2); the run page anchors each one.
ANSWER_LABEL = re.compile(r"^agent\d+\.\d+$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@register.filter
def finding_tally(findings) -> str:
    """"2 warnings, 1 info" for the verdict line; "no findings" when empty."""
    counts = Counter(str(f.get("severity")) for f in findings or [] if isinstance(f, dict))
    parts = [f"{counts[s]} {s if counts[s] == 1 or s == 'info' else s + 's'}" for s in SEVERITY_ORDER if counts[s]]
    return ", ".join(parts) or "no findings"


def drop_findings_section(markdown: str) -> str:
    """The report's Markdown without its "Findings" section (up to the next
    heading of the same or a higher level), which the page shows as a table."""
    kept, skipping_level = [], 0
    in_fence = False
    for line in (markdown or "").splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            if skipping_level and level <= skipping_level:
                skipping_level = 0
            if not skipping_level and heading.group(2).strip().lower().rstrip(":") == "findings":
                skipping_level = level
        if not skipping_level:
            kept.append(line)
    return "\n".join(kept)


@register.filter
def report_without_findings(markdown) -> str:
    return mark_safe(render_markdown(drop_findings_section(str(markdown or ""))))  # noqa: S308 - nh3-sanitised


@register.simple_tag
def evidence_href(item, analysis) -> str:
    """The run page's anchor for an answer label (the attempt the analysis read), else ""."""
    label = str(item or "").strip()
    if not ANSWER_LABEL.match(label):
        return ""
    query = ""
    if analysis.attempt_id and analysis.attempt is not None:
        query = "?" + urlencode({"turn": analysis.attempt.turn, "attempt": analysis.attempt.attempt})
    return f"{analysis.run.get_absolute_url()}{query}#label-{label}"
