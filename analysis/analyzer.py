"""Analysing one run with the model the user picked.

`analyze` runs three steps that the Celery task can also run one by one,
persisting after each so a redelivered task never pays for a call twice:
`compress` (material that fits; a JSON-serialisable CompressionResult),
`build_prompt` (pure), and `call_and_validate` (the call, plus one retry that
shows the model its validation error). Every call made is reported through
`on_call` as soon as it returns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from analysis.analysis_input import AnalysisInput
from analysis.compression import CompressionRecord, CompressionResult, CompressionSettings, OnStage, compress
from analysis.llm.budget import output_reserve
from analysis.llm.calls import CallRecord, Prompt, assistant_message, total_cost, total_usage, user_message
from analysis.llm.client import call_model
from analysis.llm.errors import ContextLengthExceeded
from analysis.llm.report_prompt import INSTRUCTIONS, REPORT_FORMAT, REPORT_SCHEMA, analysis_prompt, raw_material
from analysis.llm.runners import OnCall
from analysis.llm.usage import Usage
from analysis.modelinfo import ModelInfo

__all__ = [
    "INSTRUCTIONS",
    "REPORT_SCHEMA",
    "AnalysisOutcome",
    "Finding",
    "MalformedReply",
    "ReportInvalid",
    "ValidatedReport",
    "analyze",
    "build_prompt",
    "call_and_validate",
    "compress",
    "validate_report",
]

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


def call_and_validate(
    model: ModelInfo,
    prompt: Prompt,
    *,
    api_key: str | None,
    timeout: float,
    on_stage: OnStage | None = None,
    on_call: OnCall | None = None,
) -> ValidatedReport:
    """The model's report; on an invalid reply, one retry that shows it the error.
    Raises MalformedReply (keeping the raw reply) when the retry is invalid too."""
    stage = on_stage or (lambda purpose, detail: None)
    calls: list[CallRecord] = []

    def ask(purpose: str, items: list[dict[str, Any]]) -> str:
        reply = call_model(
            model,
            instructions=prompt.instructions,
            input_items=items,
            json_schema=REPORT_FORMAT,
            api_key=api_key,
            timeout=timeout,
            max_output_tokens=output_reserve(model),
        )
        call = CallRecord(purpose, model.name, reply.usage, reply.cost_usd, reply.response_id)
        calls.append(call)
        if on_call:
            on_call(call)
        return reply.text

    stage("analyze", f"analysing the run with {model.name}")
    first = ask("analyze", prompt.items)
    try:
        return ValidatedReport(validate_report(first), calls)
    except ReportInvalid as error:
        stage("retry", f"the reply did not match the report schema ({error}); asking once more")
        correction = [assistant_message(first or EMPTY_REPLY), user_message(RETRY_REQUEST.format(error=error))]
        second = ask("retry", [*prompt.items, *correction])
    try:
        return ValidatedReport(validate_report(second), calls)
    except ReportInvalid as error:
        raise MalformedReply(second, str(error), calls) from error


def analyze(
    model: ModelInfo,
    analysis_input: AnalysisInput,
    *,
    api_key: str | None,
    timeout: float,
    compression: CompressionSettings | None = None,
    on_stage: OnStage | None = None,
    on_call: OnCall | None = None,
) -> AnalysisOutcome:
    """Compress if needed, call, validate. `on_stage(purpose, detail)` hears each step
    as it starts ("compact", "summarize", "analyze", "retry"); `on_call(record)` each
    call as it returns. Raises DoesNotFit, MalformedReply, TransientLLMError (the
    task retries) or PermanentLLMError."""
    settings = compression or CompressionSettings()
    steps = {"api_key": api_key, "timeout": timeout, "on_stage": on_stage, "on_call": on_call}
    compressed = compress(model, analysis_input, settings, **steps)
    spent = list(compressed.record.calls)
    try:
        try:
            validated = call_and_validate(model, build_prompt(analysis_input, compressed), **steps)
        except ContextLengthExceeded:
            # The provider counted more than we did; compress as MassGen does on the same error, once.
            if settings.strategy == "off" or compressed.record.applied != "none":
                raise
            compressed = compress(model, analysis_input, settings, force=True, **steps)
            spent += compressed.record.calls
            validated = call_and_validate(model, build_prompt(analysis_input, compressed), **steps)
    except MalformedReply as error:
        error.calls = [*spent, *error.calls]
        raise
    report = validated.report
    return AnalysisOutcome(
        verdict=report["verdict"],
        findings=[Finding(**finding) for finding in report["findings"]],
        report_markdown=report["report_markdown"],
        calls=[*spent, *validated.calls],
        answered_by=model.name,
        compression=compressed.record,
        raw_report=report,
    )
