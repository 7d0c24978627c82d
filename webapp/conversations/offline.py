"""Follow-up answers from `debrief/offline`, which is not a language model: it
says so, and quotes the lines of the run's digest that mention what was asked.
Deterministic: the same digest and question give the same answer."""

from __future__ import annotations

import re

MIN_WORD_CHARS = 3
MAX_QUOTED_LINES = 15
# Question words that would match half the digest and say nothing about the run.
STOP_WORDS = frozenset(
    "the and are was were did does what which who whom why how when where this that with from for run runs "
    "about there their its any all can could would should have has had been into than then them they you your "
    "tell show give many much".split()
)
WORD = re.compile(r"[\w.\-/]+")

CANNOT_ANSWER = (
    "`debrief/offline` computes findings with fixed rules; it is not a language model and cannot answer "
    "free questions. To discuss this run, analyse it again with an LLM and ask on that report."
)


def offline_answer(digest: str, question: str) -> str:
    words = {word.strip(".-/") for word in WORD.findall(question.casefold())}
    words = {word for word in words if len(word) >= MIN_WORD_CHARS and word not in STOP_WORDS}
    lines = [line for line in digest.splitlines() if line.strip() and any(word in line.casefold() for word in words)]
    if not lines:
        return f"{CANNOT_ANSWER}\n\nNo line of the run's digest mentions what you asked about."
    quoted = "\n".join(lines[:MAX_QUOTED_LINES])
    more = len(lines) - MAX_QUOTED_LINES
    tail = f"\n\n({more} more line{'s' if more != 1 else ''} match.)" if more > 0 else ""
    return f"{CANNOT_ANSWER}\n\nThe lines of the run's digest that mention it:\n\n```text\n{quoted}\n```{tail}"
