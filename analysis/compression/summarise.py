"""Map-reduce summarisation: raw parts are packed into chunks the summariser takes,
each chunk is summarised (map), and summaries are merged (reduce) until the request
they go into fits. Summaries keep labels, agent ids and section keys so findings
can still cite evidence."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from analysis.report.input import RawPart
from analysis.llm.calls import user_message
from analysis.llm.budget import DoesNotFit, input_budget, output_reserve
from analysis.compression.chunking import Piece, keys_of, render, split_into_pieces, take_chunk
from analysis.llm.runners import CallRunner
from analysis.llm.modelinfo import ModelInfo

SUMMARY_MAX_OUTPUT_TOKENS = 4_000
MIN_SUMMARY_TOKENS = 256  # below this a summary loses the references findings need
MAX_MERGE_ROUNDS = 4
# Reasoning models spend output tokens thinking before they write: without this a
# summary's token limit could be used up before its first word.
REASONING_HEADROOM_TOKENS = 2_000
LENGTH_LIMIT = " Stay under {cap:,} tokens."

REFERENCES_TO_KEEP = (
    "Keep every reference exactly as written: answer labels (agent1.2), vote labels (agent2.vote1), "
    "final answers (agent1.final), agent ids, file paths, tool names, and section keys in square "
    "brackets ([answer:agent1.2]), each next to the facts it supports."
)
SUMMARY_INSTRUCTIONS = (
    "Summarise this raw material from a MassGen multi-agent run for a reviewer who will not see it. "
    "Keep what a review needs: answers and how they changed, votes and their reasons, tool calls "
    "(and how often a command was repeated), errors and retries, timings, token and cost figures, "
    "and any sign of duplicated work between agents. Drop boilerplate such as repeated system "
    "prompts. " + REFERENCES_TO_KEEP + " Write concise Markdown bullets grouped by section key."
)
MERGE_INSTRUCTIONS = (
    "Merge these summaries of one MassGen run into one shorter summary, dropping repetition but "
    "no distinct fact. " + REFERENCES_TO_KEEP + " Write concise Markdown bullets grouped by section key."
)

OnStage = Callable[[str, str], None]


@dataclass(frozen=True)
class Summary:
    keys: list[str]
    text: str


def render_summaries(summaries: Sequence[Summary]) -> str:
    return "\n\n".join(
        f"### Summary of {' '.join(f'[{key}]' for key in summary.keys)}\n\n{summary.text}" for summary in summaries
    )


def summarise(
    summariser: ModelInfo,
    parts: Sequence[RawPart],
    *,
    runner: CallRunner,
    target: ModelInfo,
    budget: int,
    final_tokens: Callable[[str], int],
    on_stage: OnStage,
) -> str:
    """Rendered summaries of `parts`, short enough that `final_tokens(text)` (the
    size of the request they go into, on `target`) stays within `budget`."""
    return _MapReduce(summariser, runner, target, budget, final_tokens, on_stage).run(parts)


class _MapReduce:
    def __init__(
        self,
        summariser: ModelInfo,
        runner: CallRunner,
        target: ModelInfo,
        budget: int,
        final_tokens: Callable[[str], int],
        on_stage: OnStage,
    ):
        self.summariser = summariser
        self.runner = runner
        self.target = target
        self.budget = budget
        self.final_tokens = final_tokens
        self.on_stage = on_stage

    def run(self, parts: Sequence[RawPart]) -> str:
        chunks = self._chunks(parts)
        summaries = self._summarise_all(SUMMARY_INSTRUCTIONS, [(render(chunk), keys_of(chunk)) for chunk in chunks])
        for _ in range(MAX_MERGE_ROUNDS):
            text = render_summaries(summaries)
            if self.final_tokens(text) <= self.budget:
                return text
            groups = self._groups(summaries)
            summaries = self._summarise_all(
                MERGE_INSTRUCTIONS, [(render_summaries(group), _keys(group)) for group in groups]
            )
        text = render_summaries(summaries)
        needed = self.final_tokens(text)
        if needed > self.budget:
            raise DoesNotFit(needed, self.budget, self.target, "The summarised input")
        return text

    def _chunks(self, parts: Sequence[RawPart]) -> list[list[Piece]]:
        budget = input_budget(self.summariser)
        pieces = split_into_pieces(self.summariser, parts)
        overhead = self.runner.count(self.summariser, SUMMARY_INSTRUCTIONS, [user_message("")])
        chunks: list[list[Piece]] = []
        start = 0

        def fits(end: int) -> bool:
            chunk = [user_message(render(pieces[start:end]))]
            return self.runner.count(self.summariser, SUMMARY_INSTRUCTIONS, chunk) <= budget

        while start < len(pieces):
            end = take_chunk(pieces, start, budget - overhead, fits)
            if end == start:
                raise DoesNotFit(pieces[start].tokens + overhead, budget, self.summariser, "One piece of raw material")
            chunks.append(pieces[start:end])
            start = end
        return chunks

    def _summarise_all(self, instructions: str, sources: list[tuple[str, list[str]]]) -> list[Summary]:
        """One summary per (text, keys) source, each capped at an equal share of the
        room the final request has for them."""
        cap = self._cap([keys for _, keys in sources])
        headroom = REASONING_HEADROOM_TOKENS if self.summariser.supports_reasoning else 0
        limit = min(cap + headroom, output_reserve(self.summariser))
        summaries = []
        for index, (text, keys) in enumerate(sources):
            self.on_stage("summarize", f"summarising part {index + 1} of {len(sources)}")
            asked = instructions + LENGTH_LIMIT.format(cap=cap)
            summaries.append(Summary(keys, self.runner.generate(self.summariser, asked, [user_message(text)], limit)))
        return summaries

    def _cap(self, keys: list[list[str]]) -> int:
        headings_only = render_summaries([Summary(summary_keys, "") for summary_keys in keys])
        share = (self.budget - self.final_tokens(headings_only)) // max(len(keys), 1)
        return max(MIN_SUMMARY_TOKENS, min(SUMMARY_MAX_OUTPUT_TOKENS, output_reserve(self.summariser), share))

    def _groups(self, summaries: list[Summary]) -> list[list[Summary]]:
        """Consecutive summaries packed into merge requests the summariser takes."""
        budget = input_budget(self.summariser)
        groups: list[list[Summary]] = []
        for summary in summaries:
            if groups:
                candidate = [*groups[-1], summary]
                merged = [user_message(render_summaries(candidate))]
                if self.runner.count(self.summariser, MERGE_INSTRUCTIONS, merged) <= budget:
                    groups[-1] = candidate
                    continue
            groups.append([summary])
        return groups


def _keys(summaries: Sequence[Summary]) -> list[str]:
    return list(dict.fromkeys(key for summary in summaries for key in summary.keys))
