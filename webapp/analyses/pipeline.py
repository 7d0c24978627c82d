"""One analysis, step by step: claim, build the input, compress, call, validate,
save. Each step's result is written to the row before the next step starts, so a
task redelivered after a crash resumes where the last one stopped: a reply
already recorded is reused, never bought again; a call that was in flight when
the worker died never completed, so making it again is the first success.

Transient provider errors leave this module (the task retries them later); a
permanent one moves on to the next model of the fallback chain."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from analysis.analysis_input import AnalysisInput
from analysis.analyzer import RETRY_REQUEST, MalformedReply, ReportInvalid, build_prompt, validate_report
from analysis.compression import CompressionResult, compress
from analysis.digest import Digest
from analysis.llm.budget import DoesNotFit, output_reserve
from analysis.llm.calls import CallRecord, Prompt, assistant_message, user_message
from analysis.llm.client import LLMReply, call_model
from analysis.llm.compact import KEYLESS_PLACEHOLDER
from analysis.llm.errors import ContextLengthExceeded, PermanentLLMError
from analysis.llm.report_prompt import REPORT_FORMAT
from analysis.modelinfo import ModelInfo
from analysis.offline import analyze as analyze_offline
from analysis.registry import OFFLINE_MODEL_NAME, RegistryError
from analysis.registry.providers import provider_spec
from webapp.analyses.errors import Cancelled
from webapp.analyses.markdown import render_markdown
from webapp.analyses.models import MONEY_QUANTUM, Analysis, Stage, Status
from webapp.conversations.compression_config import compression_settings
from webapp.llm.registry import get_registry
from webapp.llm.services import digest_for_run

# The hard time limit kills a task at most this long after its lease starts; the
# margin covers the claim happening just after the task started, and clock skew.
LEASE_MARGIN_SECONDS = 5
# Claims of one analysis (worker crashes, hard time limits) before it is failed.
MAX_DELIVERIES = 5
# A call is cut off before the soft time limit, so the task can still record why.
CALL_TIMEOUT_HEADROOM_SECONDS = 5
FORCED = "+forced"  # phase suffix: compressed again after the provider refused the length


def claim(analysis_id) -> Analysis | None:
    """Take the row for this delivery with one conditional UPDATE: a queued
    analysis, or a running one whose previous holder's lease has run out (it
    crashed, or was killed by the hard time limit). None when someone else holds
    it or it is finished."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + LEASE_MARGIN_SECONDS)
    lease_over = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    claimable = Q(status=Status.QUEUED) | (Q(status=Status.RUNNING) & lease_over)
    taken = Analysis.objects.filter(claimable, pk=analysis_id).update(
        status=Status.RUNNING, lease_expires_at=lease, deliveries=F("deliveries") + 1
    )
    if not taken:
        return None
    analysis = Analysis.objects.select_related("run").get(pk=analysis_id)
    if analysis.started_at is None:
        analysis.started_at = now
        analysis.save(update_fields=["started_at"])
    return analysis


def lease_wait_seconds(analysis_id) -> float | None:
    """How long until a running analysis's lease runs out; None when it is not running."""
    row = Analysis.objects.filter(pk=analysis_id, status=Status.RUNNING).values("lease_expires_at").first()
    if row is None:
        return None
    expires = row["lease_expires_at"] or timezone.now()
    return max(0.0, (expires - timezone.now()).total_seconds())


def stalled_ids(queued_for: timedelta) -> list:
    now = timezone.now()
    lost = Q(status=Status.QUEUED, created_at__lt=now - queued_for)
    abandoned = Q(status=Status.RUNNING, lease_expires_at__lt=now)
    return list(Analysis.objects.filter(lost | abandoned).values_list("pk", flat=True))


def release(analysis: Analysis, detail: str) -> None:
    """Give the row up until the task's retry claims it again."""
    _update(analysis, lease_expires_at=None, stage_detail=detail[:255])


def run(analysis: Analysis, *, final_attempt: bool = False) -> None:
    """Carry a claimed analysis to `done`, `failed` or `cancelled`."""
    if analysis.deliveries > MAX_DELIVERIES:
        fail(analysis, f"Gave up after {MAX_DELIVERIES} attempts: the worker kept stopping mid-way.")
        return
    try:
        if analysis.model == OFFLINE_MODEL_NAME:
            _run_offline(analysis)
        else:
            _run_llm(analysis, final_attempt)
    except Cancelled:
        _finish(analysis, Status.CANCELLED, error="Cancelled.")
    except MalformedReply as error:
        _update(analysis, raw_reply=error.raw_reply)
        fail(analysis, f"{analysis.current_model}'s reply did not match the report schema twice: {error.error}")


def fail(analysis: Analysis, error: str) -> None:
    _finish(analysis, Status.FAILED, error=error)


def _update(analysis: Analysis, **fields) -> None:
    for name, value in fields.items():
        setattr(analysis, name, value)
    analysis.save(update_fields=list(fields))


def _finish(analysis: Analysis, status: str, **fields) -> None:
    _update(analysis, status=status, finished_at=timezone.now(), lease_expires_at=None, **fields)


def _stage(analysis: Analysis, stage: str, detail: str = "") -> None:
    """Move to a stage, first checking nobody asked to stop."""
    if Analysis.objects.filter(pk=analysis.pk, cancel_requested=True).exists():
        raise Cancelled()
    _update(analysis, stage=stage, stage_detail=detail[:255])


def _digest(analysis: Analysis) -> Digest:
    # The very digest the estimate counted.
    return digest_for_run(analysis.run, analysis.attempt)


def _run_offline(analysis: Analysis) -> None:
    _stage(analysis, Stage.BUILDING_INPUT)
    report = analyze_offline(_digest(analysis).facts)
    _stage(analysis, Stage.VALIDATING)
    _save_report(analysis, report.verdict, [finding.to_dict() for finding in report.findings], report.report_markdown)


def _run_llm(analysis: Analysis, final_attempt: bool) -> None:
    _stage(analysis, Stage.BUILDING_INPUT)
    # The digest's facts end with the offline analyzer's findings already.
    material = _digest(analysis).input
    while True:
        try:
            report = _report_from(analysis, material, final_attempt)
            break
        except (PermanentLLMError, DoesNotFit, RegistryError) as error:
            if not _fall_back(analysis, error):
                fail(analysis, f"{analysis.current_model} failed: {error}")
                return
    _save_report(analysis, report["verdict"], report["findings"], report["report_markdown"])


def fallback_chain(analysis: Analysis) -> list[str]:
    return [analysis.model, *(name for name in settings.DEBRIEF_FALLBACK_MODELS if name != analysis.model)]


def _fall_back(analysis: Analysis, error: Exception) -> bool:
    chain = fallback_chain(analysis)
    position = chain.index(analysis.current_model) if analysis.current_model in chain else len(chain)
    if position + 1 >= len(chain):
        return False
    reason = f"{analysis.current_model} failed ({error}); {chain[position + 1]} was tried next."
    note = f"{analysis.fallback_reason} {reason}".strip()
    _update(analysis, current_model=chain[position + 1], prompt=None, fallback_reason=note)
    return True


def _report_from(analysis: Analysis, material: AnalysisInput, final_attempt: bool) -> dict:
    model = get_registry().require_available(analysis.current_model)
    api_key = api_key_for(model)
    try:
        prompt = _prepared(analysis, model, material, api_key, final_attempt, forced=False)
        return _ask(analysis, model, prompt, api_key)
    except ContextLengthExceeded:
        # The provider counted more than we did; compress as MassGen does on the same error, once.
        if analysis.compression == "off" or (analysis.prompt or {}).get("phase", "").endswith(FORCED):
            raise
        prompt = _prepared(analysis, model, material, api_key, final_attempt, forced=True)
        return _ask(analysis, model, prompt, api_key)


def api_key_for(model: ModelInfo) -> str | None:
    if model.custom and not model.api_key_env:
        # A keyless local server ignores the key, but the OpenAI client refuses to start without one.
        return KEYLESS_PLACEHOLDER
    name = model.api_key_env or provider_spec(model.provider).api_key_env
    return (os.environ.get(name) or None) if name else None


def call_timeout() -> float:
    return float(settings.CELERY_TASK_SOFT_TIME_LIMIT - CALL_TIMEOUT_HEADROOM_SECONDS)


def _prepared(analysis, model, material, api_key, final_attempt, *, forced: bool) -> Prompt:
    """The final request for `model`, from the checkpoint when this phase already
    compressed (compression may have cost calls), else compressed now and saved."""
    phase = model.name + (FORCED if forced else "")
    saved = analysis.prompt
    if saved is None or saved["phase"] != phase:
        _stage(analysis, Stage.COMPRESSING)
        options = compression_settings(analysis.compression, fallback_on_rate_limit=final_attempt)
        compressed = compress(
            model,
            material,
            options,
            api_key=api_key,
            timeout=call_timeout(),
            on_stage=lambda purpose, detail: _update(analysis, stage_detail=detail[:255]),
            on_call=lambda call: _record_call(analysis, call, phase),
            force=forced,
        )
        # Uncompressed material is the digest's raw part, rebuilt for free; only
        # what calls produced needs keeping.
        kept = compressed.to_dict() if compressed.record.applied != "none" else None
        saved = {"phase": phase, "compressed": kept}
        _update(analysis, prompt=saved, compression_record=compressed.record.to_dict())
    kept = saved["compressed"]
    return build_prompt(material, CompressionResult.from_dict(kept) if kept else None)


def _ask(analysis: Analysis, model: ModelInfo, prompt: Prompt, api_key: str | None) -> dict:
    """The report, from the analysis call and at most one retry showing the model
    its validation error. Every reply is recorded before it is validated."""
    phase = analysis.prompt["phase"]
    first = _reply(analysis, model, "analyze", phase, prompt, prompt.items, api_key)
    _stage(analysis, Stage.VALIDATING)
    try:
        return validate_report(first)
    except ReportInvalid as error:
        correction = [assistant_message(first), user_message(RETRY_REQUEST.format(error=error))]
    second = _reply(analysis, model, "retry", phase, prompt, [*prompt.items, *correction], api_key)
    _stage(analysis, Stage.VALIDATING)
    try:
        return validate_report(second)
    except ReportInvalid as error:
        raise MalformedReply(second, str(error), []) from error


def _reply(analysis, model, purpose, phase, prompt, items, api_key) -> str:
    recorded = next(
        (call for call in analysis.calls if call.get("phase") == phase and call["purpose"] == purpose and "text" in call),
        None,
    )
    if recorded is not None:
        return recorded["text"]
    _stage(analysis, Stage.CALLING_MODEL, f"waiting for {model.name}")
    _update(analysis, calling_started_at=timezone.now())
    reply: LLMReply = call_model(
        model,
        instructions=prompt.instructions,
        input_items=items,
        json_schema=REPORT_FORMAT,
        api_key=api_key,
        timeout=call_timeout(),
        max_output_tokens=output_reserve(model),
    )
    record = CallRecord(purpose, model.name, reply.usage, reply.cost_usd, reply.response_id)
    _record_call(analysis, record, phase, text=reply.text)
    return reply.text


def _record_call(analysis: Analysis, call: CallRecord, phase: str, text: str | None = None) -> None:
    """Add a call's usage and cost to the row, with the prices it was billed at;
    for the analysis call also its reply, which makes the call a checkpoint."""
    entry = {**call.to_dict(), "phase": phase, "at": timezone.now().isoformat()}
    fields = {
        "calls": [*analysis.calls, entry],
        "input_tokens": analysis.input_tokens + call.usage.input_tokens,
        "output_tokens": analysis.output_tokens + call.usage.output_tokens,
        "cached_input_tokens": analysis.cached_input_tokens + call.usage.cached_input_tokens,
        "reasoning_tokens": analysis.reasoning_tokens + call.usage.reasoning_tokens,
        "cost_usd": analysis.cost_usd + _money(call.cost_usd),
        "prices": {**analysis.prices, call.model: _prices(call.model)},
    }
    if text is not None:
        entry["text"] = text
        fields["raw_reply"] = text
    _update(analysis, **fields)


def _money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(MONEY_QUANTUM)


def _prices(model_name: str) -> dict:
    described = get_registry().describe(model_name)
    return {key: described[key] for key in ("input_usd_per_mtok", "output_usd_per_mtok", "cached_input_usd_per_mtok")}


def _save_report(analysis: Analysis, verdict: str, findings: list[dict], markdown: str) -> None:
    # No check for a cancel request here: the calls are paid for, the report is kept.
    _finish(
        analysis,
        Status.DONE,
        stage=Stage.SAVED,
        verdict=verdict,
        findings=findings,
        report_markdown=markdown,
        report_html=render_markdown(markdown),
        answered_by=analysis.current_model or analysis.model,
        prices=analysis.prices or {analysis.model: _prices(analysis.model)},
        stage_detail="",
    )
