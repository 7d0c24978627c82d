"""Analysing one run with the model the user picked: the one engine that the
Celery task, the CLI and the benchmarks all run.

`analyze` compresses the material if it does not fit (`compress`), builds the
final request (`build_prompt`, pure), calls the model and validates its report,
with one retry that shows the model its validation error, and compresses once
more if the provider says the request is too long. Every step goes through a
`Checkpoint`, so the Celery task, whose checkpoint is the analysis row, resumes
after a crash without paying for a call twice. Every call made is reported
through `on_call` as soon as it returns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from analysis.report.input import AnalysisInput
from analysis.compression import ANALYSIS_OUTPUT_TOKENS_ESTIMATE, CompressionRecord, CompressionResult, CompressionSettings, OnStage, compress
from analysis.llm.budget import output_reserve
from analysis.llm.calls import CallRecord, Prompt, assistant_message, total_cost, total_usage, user_message
from analysis.llm.client import call_model
from analysis.llm.errors import ContextLengthExceeded
from analysis.llm.ledger import MemoryLedger, SpendLedger, metered
from analysis.llm.tokens import count_input_tokens
from analysis.report.prompt import INSTRUCTIONS, REPORT_FORMAT, REPORT_SCHEMA, analysis_prompt, raw_material
from analysis.llm.runners import OnCall
from analysis.llm.usage import Usage, cost_usd
from analysis.llm.modelinfo import ModelInfo

__all__ = [
    "INSTRUCTIONS",
    "REPORT_SCHEMA",
    "AnalysisOutcome",
    "Checkpoint",
    "Finding",
    "MalformedReply",
    "MemoryCheckpoint",
    "ReportInvalid",
    "ValidatedReport",
    "analyze",
    "build_prompt",
    "call_and_validate",
    "compress",
    "validate_report",
]

# Steps a checkpoint hears as they start, named as the analysis row's stages.
COMPRESSING = "compressing"
CALLING_MODEL = "calling_model"
VALIDATING = "validating"
FORCED = "+forced"  # phase suffix: compressed again after the provider refused the length

RETRY_REQUEST = (
    "Your reply could not be used: {error}. Reply again with only the JSON object, matching the schema exactly."
)
EMPTY_REPLY = "(no text)"  # an assistant message needs some content
# Some chat models wrap JSON in a Markdown fence even when a schema was requested.
FENCED_JSON = re.compile(r"^```(?:json)?\s*\n(?P<body>.*)\n```$", re.DOTALL)


class ReportInvalid(ValueError):
    """The reply does not match REPORT_SCHEMA; the message says where and how."""


class MalformedReply(Exception):
    """The model's reply was invalid twice. `raw_reply` is its last reply, verbatim."""

    def __init__(self, raw_reply: str, error: str, calls: list[CallRecord]):
        super().__init__(f"the model's reply did not match the report schema: {error}")
        self.raw_reply = raw_reply
        self.error = error
        self.calls = calls  # what the attempts cost, to record even though no report came of them


@dataclass(frozen=True)
class Finding:
    category: str
    severity: str  # info | warning | critical
    title: str
    evidence: list[str]
    recommendation: str


@dataclass(frozen=True)
class ValidatedReport:
    report: dict[str, Any]
    calls: list[CallRecord]


@dataclass(frozen=True)
class Totals:
    usage: Usage
    cost_usd: float


@dataclass
class AnalysisOutcome:
    verdict: str  # pass | warn | fail
    findings: list[Finding]
    report_markdown: str
    calls: list[CallRecord]  # every call, compression first, in order
    answered_by: str  # ModelInfo.name of the model that wrote the report
    compression: CompressionRecord
    raw_report: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def totals(self) -> Totals:
        return Totals(total_usage(self.calls), total_cost(self.calls))


def validate_report(text: str) -> dict[str, Any]:
    """The report as a dict, or ReportInvalid with a precise message."""
    stripped = text.strip()
    fenced = FENCED_JSON.match(stripped)
    if fenced:
        stripped = fenced.group("body")
    if not stripped:
        raise ReportInvalid("the reply is empty")
    try:
        report = json.loads(stripped)
    except json.JSONDecodeError as error:
        raise ReportInvalid(f"the reply is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})")
    _check(report, REPORT_SCHEMA, "$")
    return report


def _check(value: Any, schema: dict[str, Any], path: str) -> None:
    """The subset of JSON Schema REPORT_SCHEMA uses: object, array, string, enum."""
    kind = schema["type"]
    expected = {"object": dict, "array": list, "string": str}[kind]
    if not isinstance(value, expected):
        raise ReportInvalid(f"{path} should be {'an' if kind[0] in 'aeiou' else 'a'} {kind}, not {_json_type(value)}")
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(option) for option in schema["enum"])
        raise ReportInvalid(f"{path} is {json.dumps(value)}, which is not one of {allowed}")
    if kind == "object":
        missing = [name for name in schema["required"] if name not in value]
        if missing:
            raise ReportInvalid(f"{path} is missing {', '.join(json.dumps(name) for name in missing)}")
        unexpected = [name for name in value if name not in schema["properties"]]
        if unexpected and schema.get("additionalProperties") is False:
            raise ReportInvalid(f"{path} has unexpected {', '.join(json.dumps(name) for name in unexpected)}")
        for name, subschema in schema["properties"].items():
            _check(value[name], subschema, f"{path}.{name}")
    if kind == "array":
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{index}]")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def build_prompt(analysis_input: AnalysisInput, compressed: CompressionResult | None = None) -> Prompt:
    """The final request: instructions, the material (raw unless compressed), the digest."""
    material = compressed.material if compressed is not None else raw_material(analysis_input)
    return analysis_prompt(analysis_input, material)


class Checkpoint(SpendLedger, Protocol):
    """Where one analysis keeps what it has done, so that a delivery of its task
    after a crash resumes instead of paying again: the web layer backs it with the
    analysis row (webapp/analyses/pipeline.py), everything else with memory.

    `enter` hears each step as it starts (COMPRESSING, CALLING_MODEL, VALIDATING)
    and may raise to stop the analysis there (a cancel); `note` hears progress
    inside a step. `save_prompt` keeps the compression of a phase (a JSON-able
    dict); `recorded_reply` hands back the reply text of an analysis call already
    made instead of calling again.

    It is the analysis's spend ledger too (analysis.llm.ledger), for the analysis
    calls and every compression call: `call_started` hears a call's estimate before
    it is sent, `record_call` its real usage as it returns (with the reply text of
    the analysis calls), `call_refused` a provider error, and `call_unconfirmed` a
    call probably billed whose usage was never read."""

    def enter(self, step: str, detail: str = "") -> None: ...

    def note(self, detail: str) -> None: ...

    def saved_prompt(self) -> dict[str, Any] | None: ...

    def save_prompt(self, saved: dict[str, Any]) -> None: ...

    def recorded_reply(self, phase: str, purpose: str) -> str | None: ...


class MemoryCheckpoint(MemoryLedger):
    """A checkpoint that lives as long as the process: the CLI, benchmarks, tests."""

    def __init__(self) -> None:
        super().__init__()
        self._prompt: dict[str, Any] | None = None
        self._replies: dict[tuple[str, str], str] = {}

    def enter(self, step: str, detail: str = "") -> None:
        pass

    def note(self, detail: str) -> None:
        pass

    def saved_prompt(self) -> dict[str, Any] | None:
        return self._prompt

    def save_prompt(self, saved: dict[str, Any]) -> None:
        self._prompt = saved

    def recorded_reply(self, phase: str, purpose: str) -> str | None:
        return self._replies.get((phase, purpose))

    def record_call(self, call: CallRecord, phase: str, text: str | None = None) -> None:
        super().record_call(call, phase, text)
        if text is not None:
            self._replies[(phase, call.purpose)] = text


def analyze(
    model: ModelInfo,
    analysis_input: AnalysisInput,
    *,
    api_key: str | None,
    timeout: float,
    compression: CompressionSettings | None = None,
    on_stage: OnStage | None = None,
    on_call: OnCall | None = None,
    checkpoint: Checkpoint | None = None,
) -> AnalysisOutcome:
    """Compress if needed, call, validate: the one analysis engine, for the Celery
    task and everything else. `on_stage(purpose, detail)` hears each step as it
    starts ("compact", "summarize", "analyze", "retry"); `on_call(record)` each call
    as it returns; `checkpoint` keeps the work for a resumed delivery. Raises
    DoesNotFit, MalformedReply, TransientLLMError (the task retries) or
    PermanentLLMError; whatever `checkpoint.enter` raises stops it."""
    engine = _Engine(model, analysis_input, compression or CompressionSettings(), api_key, timeout,
                     on_stage, on_call, checkpoint or MemoryCheckpoint())
    return engine.run()


def call_and_validate(
    model: ModelInfo,
    prompt: Prompt,
    *,
    api_key: str | None,
    timeout: float,
    on_stage: OnStage | None = None,
    on_call: OnCall | None = None,
) -> ValidatedReport:
    """The model's report for a prompt built elsewhere; on an invalid reply, one
    retry that shows it the error. Raises MalformedReply (keeping the raw reply)
    when the retry is invalid too."""
    engine = _Engine(model, None, CompressionSettings(), api_key, timeout, on_stage, on_call, MemoryCheckpoint())
    return ValidatedReport(engine.ask(prompt, model.name), engine.calls)


class _Engine:
    def __init__(self, model, analysis_input, settings, api_key, timeout, on_stage, on_call, checkpoint):
        self.model, self.input, self.settings = model, analysis_input, settings
        self.api_key, self.timeout = api_key, timeout
        self.on_stage = on_stage or (lambda purpose, detail: None)
        self.on_call = on_call
        self.checkpoint: Checkpoint = checkpoint
        self.calls: list[CallRecord] = []  # what this delivery paid for, in order

    def run(self) -> AnalysisOutcome:
        # A delivery after a crash resumes the forced phase if that is where it was.
        saved = self.checkpoint.saved_prompt()
        forced = saved is not None and saved.get("phase") == self.model.name + FORCED
        while True:
            phase = self.model.name + (FORCED if forced else "")
            compressed = self._compressed(phase, forced)
            try:
                report = self.ask(build_prompt(self.input, compressed), phase)
                break
            except ContextLengthExceeded:
                # The provider counted more than we did; compress as MassGen does on
                # the same error, once.
                if self.settings.strategy == "off" or forced:
                    raise
                forced = True
            except MalformedReply as error:
                error.calls = list(self.calls)
                raise
        return AnalysisOutcome(
            verdict=report["verdict"],
            findings=[Finding(**finding) for finding in report["findings"]],
            report_markdown=report["report_markdown"],
            calls=list(self.calls),
            answered_by=self.model.name,
            compression=compressed.record,
            raw_report=report,
        )

    def _compressed(self, phase: str, forced: bool) -> CompressionResult:
        """The material for `phase`: from the checkpoint when this phase already
        compressed (compression may have cost calls), else compressed now and saved."""
        saved = self.checkpoint.saved_prompt()
        if saved is not None and saved.get("phase") == phase:
            if saved.get("compressed"):
                return CompressionResult.from_dict(saved["compressed"])
            # Nothing was compressed: the raw material is rebuilt for free.
            return CompressionResult(raw_material(self.input), {}, CompressionRecord.from_dict(saved["record"]))
        self.checkpoint.enter(COMPRESSING)

        def on_stage(purpose: str, detail: str) -> None:
            self.on_stage(purpose, detail)
            self.checkpoint.note(detail)

        compressed = compress(
            self.model, self.input, self.settings, api_key=self.api_key, timeout=self.timeout,
            on_stage=on_stage, ledger=self, phase=phase, force=forced,
        )
        # Only what calls produced needs keeping; raw material is the digest's own.
        kept = compressed.to_dict() if compressed.record.applied != "none" else None
        self.checkpoint.save_prompt({"phase": phase, "compressed": kept, "record": compressed.record.to_dict()})
        return compressed

    def ask(self, prompt: Prompt, phase: str) -> dict[str, Any]:
        """The report, from the analysis call and at most one retry showing the
        model its validation error. Every reply is recorded before it is validated."""
        self.on_stage("analyze", f"analysing the run with {self.model.name}")
        first = self._reply("analyze", phase, prompt, prompt.items)
        self.checkpoint.enter(VALIDATING)
        try:
            return validate_report(first)
        except ReportInvalid as error:
            self.on_stage("retry", f"the reply did not match the report schema ({error}); asking once more")
            correction = [assistant_message(first or EMPTY_REPLY), user_message(RETRY_REQUEST.format(error=error))]
        second = self._reply("retry", phase, prompt, [*prompt.items, *correction])
        self.checkpoint.enter(VALIDATING)
        try:
            return validate_report(second)
        except ReportInvalid as error:
            raise MalformedReply(second, str(error), list(self.calls)) from error

    def _reply(self, purpose: str, phase: str, prompt: Prompt, items: list[dict[str, Any]]) -> str:
        recorded = self.checkpoint.recorded_reply(phase, purpose)
        if recorded is not None:
            return recorded
        self.checkpoint.enter(CALLING_MODEL, f"waiting for {self.model.name}")
        estimate = self._estimate(purpose, prompt.instructions, items)
        reply = metered(self, estimate, phase, lambda: call_model(
            self.model,
            instructions=prompt.instructions,
            input_items=items,
            json_schema=REPORT_FORMAT,
            api_key=self.api_key,
            timeout=self.timeout,
            max_output_tokens=output_reserve(self.model),
        ))
        self.record_call(CallRecord(purpose, self.model.name, reply.usage, reply.cost_usd, reply.response_id), phase, reply.text)
        return reply.text

    def _estimate(self, purpose: str, instructions: str, items: list[dict[str, Any]]) -> CallRecord:
        """What a call will cost, before it is made: its input counted, its output at
        the preview's guess of a report's length (capped by what the model may write)."""
        usage = Usage(
            input_tokens=count_input_tokens(self.model, instructions, items),
            output_tokens=min(ANALYSIS_OUTPUT_TOKENS_ESTIMATE, output_reserve(self.model)),
        )
        return CallRecord(purpose, self.model.name, usage, cost_usd(self.model, usage))

    # The engine is the spend ledger of every call it and compression make: the
    # checkpoint keeps it, this delivery's list and `on_call` hear the confirmed ones.

    def call_started(self, estimate: CallRecord, phase: str) -> None:
        self.checkpoint.call_started(estimate, phase)

    def call_refused(self, phase: str) -> None:
        self.checkpoint.call_refused(phase)

    def call_unconfirmed(self, estimate: CallRecord, phase: str, reason: str) -> None:
        self.checkpoint.call_unconfirmed(estimate, phase, reason)

    def record_call(self, call: CallRecord, phase: str, text: str | None = None) -> None:
        self.calls.append(call)
        self.checkpoint.record_call(call, phase, text)
        if self.on_call:
            self.on_call(call)
