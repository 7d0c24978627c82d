"""The digest of a MassGen run: what Debrief sends an analysis model.

`build_digest` turns one attempt of a parsed run (the accepted attempt of the
first turn unless told otherwise) into an `AnalysisInput`: the run's facts as
compact text followed by the offline analyzer's rule-based checks (so the model
starts from what the figures already say), always sent whole, then the raw
material in priority order, the only part compression may shrink. The same facts come back as `RunFacts` data
for code that computes findings. Everything is deterministic (the same run
gives the same bytes, so token counts can be cached) and redacted.

`key_facts` lists what any text about the run must mention to be complete;
tests and benchmarks measure the digest (and reports) against it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.report.input import AnalysisInput, RawPart
from analysis.digest.facts import RunFacts, run_facts, select_attempt
from analysis.digest.raw import raw_parts
from analysis.digest.text import one_line, render_facts, totals_phrases, vote_arrow
from analysis.massgen.model import Session
from analysis.redaction.scrub import scrub_text

RUN_TITLE_CHARS = 120
# Bump whenever the digest's text changes for the same run: token counts are
# cached under it.
DIGEST_VERSION = 1


@dataclass(frozen=True)
class Digest:
    facts: RunFacts
    input: AnalysisInput


@dataclass(frozen=True)
class DigestTokens:
    facts: int
    raw: tuple[tuple[str, int], ...]  # (part key, tokens of its text), in priority order

    @property
    def raw_total(self) -> int:
        return sum(tokens for _, tokens in self.raw)


# The rule-based findings appended to the facts, as text. Passed in (normally
# `analysis.offline.checks.digest_findings`) so the digest does not depend on an analyzer.
Findings = Callable[[RunFacts], str]


def build_digest(
    session: Session, turn: int | None = None, attempt: int | None = None, *, findings: Findings
) -> Digest:
    _, chosen = select_attempt(session, turn, attempt)
    facts = run_facts(session, turn, attempt)
    # The reader scrubs what it hands out; scrubbing again here keeps the promise
    # for the log excerpts this module reads itself, and for any future source.
    parts = tuple(RawPart(part.key, part.title, scrub_text(part.text)) for part in raw_parts(session, chosen, facts))
    title = one_line(facts.question or "")[:RUN_TITLE_CHARS] or facts.session_id
    text = f"{render_facts(facts)}\n{findings(facts)}\n"
    return Digest(facts, AnalysisInput(run_title=scrub_text(title), facts=scrub_text(text), raw=parts))


def digest_tokens(analysis_input: AnalysisInput, count: Callable[[str], int]) -> DigestTokens:
    """Token counts per section with one model's tokenizer (`count` counts a text)."""
    return DigestTokens(
        facts=count(analysis_input.facts),
        raw=tuple((part.key, count(part.text)) for part in analysis_input.raw),
    )


def key_facts(session: Session, turn: int | None = None, attempt: int | None = None) -> list[str]:
    """The winner, every vote as `voter→label`, every error message, every model
    and the totals, spelled the way the digest spells them; each string once (the
    winner is often also a model's name)."""
    facts = run_facts(session, turn, attempt)
    found = [facts.winner] if facts.winner else []
    found += [vote_arrow(vote.voter, vote.label or vote.voted_for) for vote in facts.votes]
    found += [one_line(scrub_text(error.message)) for error in facts.errors if error.message.strip()]
    found += sorted({agent.model for agent in facts.agents if agent.model})
    found += totals_phrases(facts)
    return list(dict.fromkeys(found))


def key_fact_coverage(facts: list[str], text: str) -> float:
    """The fraction of `facts` that `text` mentions, whitespace-insensitively."""
    if not facts:
        return 1.0
    flat = one_line(text)
    return sum(one_line(fact) in flat for fact in facts) / len(facts)
