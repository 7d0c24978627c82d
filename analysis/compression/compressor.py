"""The compressor: runs (or, with a counting runner, plans) the steps the package
docstring describes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from analysis.report.input import AnalysisInput
from analysis.llm.budget import DoesNotFit, input_budget, output_reserve
from analysis.llm.calls import CallRecord, assistant_message, total_cost, total_usage, user_message
from analysis.compression.chunking import render, split_into_pieces, take_chunk
from analysis.llm.errors import CompactionUnsupported, ContextLengthExceeded, TransientLLMError
from analysis.report.prompt import COMPACTION_INTRO, REPORT_FORMAT, SUMMARIES_INTRO, analysis_prompt, raw_material
from analysis.llm.ledger import SpendLedger
from analysis.llm.runners import CallRunner, LiveRunner, PlanRunner
from analysis.compression.summarise import REFERENCES_TO_KEEP, summarise
from analysis.llm.tokens import RequestTokenCounter, count_input_tokens
from analysis.llm.modelinfo import ModelInfo

__all__ = [
    "CompactionSupportMemory",
    "CompressionPlan",
    "CompressionRecord",
    "CompressionResult",
    "CompressionSettings",
    "DoesNotFit",
    "InMemoryCompactionSupport",
    "compress",
    "plan_compression",
]

Strategy = Literal["auto", "native", "summarize", "off"]
Applied = Literal["none", "native", "summarize"]
OnStage = Callable[[str, str], None]  # (purpose, what a person reads), e.g. ("summarize", "part 2 of 5")

DEFAULT_THRESHOLD_FRACTION = 1.0  # compress only what does not fit
ANALYSIS_OUTPUT_TOKENS_ESTIMATE = 6_000  # the preview's guess at a report's length

COMPACTION_INSTRUCTIONS = (
    "Compact this material for a later review of the MassGen run: who did what in which round, "
    "answers and how they changed, votes and their reasons, tool calls and repeated commands, "
    "errors, retries, timings, token and cost figures. " + REFERENCES_TO_KEEP
)


class CompactionSupportMemory(Protocol):
    """Which models refused /responses/compact, so later runs go straight to the
    fallback. The web layer keeps this in the database."""

    def unsupported_reason(self, model: ModelInfo) -> str | None: ...

    def remember_unsupported(self, model: ModelInfo, reason: str) -> None: ...


class InMemoryCompactionSupport:
    def __init__(self) -> None:
        self._reasons: dict[str, str] = {}

    def unsupported_reason(self, model: ModelInfo) -> str | None:
        return self._reasons.get(model.name)

    def remember_unsupported(self, model: ModelInfo, reason: str) -> None:
        self._reasons[model.name] = reason


PROCESS_COMPACTION_MEMORY = InMemoryCompactionSupport()


@dataclass(frozen=True)
class CompressionSettings:
    strategy: Strategy = "auto"
    threshold_fraction: float = DEFAULT_THRESHOLD_FRACTION
    summariser: ModelInfo | None = None  # None: the analysis model summarises
    summariser_api_key: str | None = None  # None: the analysis model's key
    memory: CompactionSupportMemory = field(default_factory=lambda: PROCESS_COMPACTION_MEMORY)
    # The task sets this on its last attempt: a rate-limited compaction then falls
    # back to summarising instead of waiting for yet another retry.
    fallback_on_rate_limit: bool = False


@dataclass
class CompressionRecord:
    requested: Strategy
    applied: Applied
    tokens_before: int  # the final request's input tokens with the raw material
    tokens_after: int  # ... with the material actually sent
    budget: int
    calls: list[CallRecord] = field(default_factory=list)  # compaction and summary calls, in order
    fallback_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "calls": [call.to_dict() for call in self.calls]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CompressionRecord":
        return cls(**{**data, "calls": [CallRecord.from_dict(call) for call in data["calls"]]})


@dataclass
class CompressionResult:
    """What the final call needs; JSON-serialisable so the task can persist it and
    resume at the final call after a redelivery."""

    material: list[dict[str, Any]]  # input items sent before the digest
    opaque_tokens: dict[str, int]  # compaction item id -> tokens it stands for
    record: CompressionRecord

    def to_dict(self) -> dict[str, Any]:
        return {"material": self.material, "opaque_tokens": self.opaque_tokens, "record": self.record.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CompressionResult":
        return cls(data["material"], data["opaque_tokens"], CompressionRecord.from_dict(data["record"]))


@dataclass(frozen=True)
class CompressionPlan:
    strategy: Applied
    calls: list[CallRecord]  # the foreseen calls with their assumed usage; the "analyze" one last
    input_tokens: int
    output_tokens: int
    usd: float
    final_call_input_tokens: int
    tokens_before: int
    budget: int
    fallback_reason: str | None = None

    @property
    def compression_usd(self) -> float:
        return total_cost([call for call in self.calls if call.purpose != "analyze"])


def compress(
    model: ModelInfo,
    analysis_input: AnalysisInput,
    settings: CompressionSettings | None = None,
    *,
    api_key: str | None,
    timeout: float,
    on_stage: OnStage | None = None,
    ledger: SpendLedger | None = None,
    phase: str = "",
    force: bool = False,
) -> CompressionResult:
    """The material for the final call: the raw material when it fits, else compressed.
    Every call it makes goes through `ledger` under `phase` (analysis.llm.ledger).
    `force` compresses even when our count says it fits (the provider disagreed)."""
    settings = settings or CompressionSettings()
    keys = {model.name: api_key}
    if settings.summariser is not None:
        keys[settings.summariser.name] = settings.summariser_api_key or api_key
    runner = LiveRunner(keys, timeout, ledger, phase)
    return _Compressor(model, analysis_input, settings, runner, on_stage).run(force)


def plan_compression(
    model: ModelInfo,
    analysis_input: AnalysisInput,
    strategy: Strategy = "auto",
    summariser: ModelInfo | None = None,
    token_counter: RequestTokenCounter = count_input_tokens,
    *,
    threshold_fraction: float = DEFAULT_THRESHOLD_FRACTION,
    memory: CompactionSupportMemory | None = None,
) -> CompressionPlan:
    """The calls an analysis will make and what they cost, without calling anything.
    Raises DoesNotFit as the run would. Assumes no cache hits and no malformed reply."""
    settings = CompressionSettings(strategy, threshold_fraction, summariser, memory=memory or PROCESS_COMPACTION_MEMORY)
    runner = PlanRunner(token_counter)
    record = _Compressor(model, analysis_input, settings, runner, None).run(force=False).record
    report_tokens = min(ANALYSIS_OUTPUT_TOKENS_ESTIMATE, output_reserve(model))
    calls = [*record.calls, runner.foreseen("analyze", model, record.tokens_after, report_tokens)]
    usage = total_usage(calls)
    return CompressionPlan(
        strategy=record.applied,
        calls=calls,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        usd=total_cost(calls),
        final_call_input_tokens=record.tokens_after,
        tokens_before=record.tokens_before,
        budget=record.budget,
        fallback_reason=record.fallback_reason,
    )


class _NativeFailed(Exception):
    """Compaction gave no usable material; the message is the fallback reason."""


class _Compressor:
    def __init__(
        self,
        model: ModelInfo,
        analysis_input: AnalysisInput,
        settings: CompressionSettings,
        runner: CallRunner,
        on_stage: OnStage | None,
    ):
        self.model = model
        self.input = analysis_input
        self.settings = settings
        self.runner = runner
        self.on_stage = on_stage or (lambda purpose, detail: None)
        self.budget = input_budget(model)

    def final_tokens(self, material: list[dict[str, Any]]) -> int:
        prompt = analysis_prompt(self.input, material)
        # The analysis call carries the report schema, and the provider bills it as input.
        return self.runner.count(self.model, prompt.instructions, prompt.items, json_schema=REPORT_FORMAT)

    def run(self, force: bool) -> CompressionResult:
        digest_alone = self.final_tokens([])
        if digest_alone > self.budget:
            raise DoesNotFit(digest_alone, self.budget, self.model, "The digest alone")
        material = raw_material(self.input)
        before = self.final_tokens(material)
        record = CompressionRecord(self.settings.strategy, "none", before, before, self.budget, self.runner.calls)
        if not force and before <= self.settings.threshold_fraction * self.budget:
            return self._result(material, record, "none")
        if self.settings.strategy == "off":
            raise DoesNotFit(before, self.budget, self.model)
        applied, record.fallback_reason = self._choose()
        if applied == "native":
            try:
                return self._result(self._native(), record, "native")
            except _NativeFailed as failure:
                record.fallback_reason = str(failure)
        return self._result(self._summarised(), record, "summarize")

    def _result(self, material: list[dict[str, Any]], record: CompressionRecord, applied: Applied) -> CompressionResult:
        record.applied = applied
        record.tokens_after = self.final_tokens(material)
        return CompressionResult(material, dict(self.runner.opaque_tokens), record)

    def _choose(self) -> tuple[Applied, str | None]:
        """The strategy to try, and why it is not the one asked for (if it is not)."""
        strategy, model = self.settings.strategy, self.model
        if strategy == "summarize" or (strategy == "auto" and not model.supports_native_compaction):
            return "summarize", None
        if model.api != "responses":
            return "summarize", f"{model.name} is called through chat completions; compaction needs the Responses API"
        remembered = self.settings.memory.unsupported_reason(model)
        if remembered:
            return "summarize", f"compaction is known to be unsupported for {model.name}: {remembered}"
        return "native", None

    def _native(self) -> list[dict[str, Any]]:
        try:
            window = self._compact_all()
        except CompactionUnsupported as error:
            self.settings.memory.remember_unsupported(self.model, error.message)
            raise _NativeFailed(f"compaction unsupported: {error.message}") from error
        except TransientLLMError as error:
            if error.status_code == 429 and not self.settings.fallback_on_rate_limit:
                raise  # the task retries after Retry-After; on its last attempt it asks for the fallback
            raise _NativeFailed(f"compaction failed for now: {error.message}") from error
        except ContextLengthExceeded as error:
            raise _NativeFailed(f"compaction input too long: {error.message}") from error
        after = self.final_tokens(window)
        if after > self.budget:
            raise _NativeFailed(f"the compacted material still needs {after:,} tokens of {self.budget:,}")
        return window

    def _compact_all(self) -> list[dict[str, Any]]:
        pieces = split_into_pieces(self.model, self.input.raw)
        window = [user_message(COMPACTION_INTRO.format(title=self.input.run_title))]
        start, total = 0, sum(piece.tokens for piece in pieces)

        def with_chunk(end: int) -> list[dict[str, Any]]:
            return [*window, assistant_message(render(pieces[start:end]))]

        def fits(end: int) -> bool:
            return self.runner.count(self.model, COMPACTION_INSTRUCTIONS, with_chunk(end)) <= self.budget

        while start < len(pieces):
            carried = self.runner.count(self.model, COMPACTION_INSTRUCTIONS, window)
            end = take_chunk(pieces, start, self.budget - carried, fits)
            if end == start:
                raise _NativeFailed(f"the compacted window ({carried:,} tokens) leaves no room within {self.budget:,}")
            read = sum(piece.tokens for piece in pieces[:end])
            self.on_stage("compact", f"compacting the raw material ({100 * read // max(total, 1)}% read)")
            window = self.runner.compact(self.model, COMPACTION_INSTRUCTIONS, with_chunk(end))
            start = end
        return window

    def _summarised(self) -> list[dict[str, Any]]:
        intro = SUMMARIES_INTRO.format(title=self.input.run_title)

        def material(text: str) -> list[dict[str, Any]]:
            return [user_message(f"{intro}\n\n{text}")]

        text = summarise(
            self.settings.summariser or self.model,
            self.input.raw,
            runner=self.runner,
            target=self.model,
            budget=self.budget,
            final_tokens=lambda text: self.final_tokens(material(text)),
            on_stage=self.on_stage,
        )
        return material(text)
