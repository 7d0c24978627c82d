"""The analysis input: the contract between the digest builder (which produces it),
compression (which may shrink `raw`) and the analyzer (which sends it).

`facts` is the digest of the run's key facts and is always sent verbatim; `raw` is
the raw material in priority order and is the only part compression may touch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawPart:
    key: str  # stable reference findings can cite: "final_answer", "answer:agent1.2", "trace:agent_a:...", ...
    title: str  # one line a person (and the model) reads as the section heading
    text: str  # already redacted


@dataclass(frozen=True)
class AnalysisInput:
    run_title: str  # the run's question, shortened
    facts: str  # the digest, redacted, deterministic
    raw: tuple[RawPart, ...] = field(default_factory=tuple)

    def raw_text(self) -> str:
        return "\n\n".join(f"## {part.title} [{part.key}]\n\n{part.text}" for part in self.raw)
