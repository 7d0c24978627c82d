"""One analysis as the Celery task carries it: claim the row, build the input,
run the engine (`analysis.engine.analyzer.analyze`: compress, call, validate), save.
The engine's checkpoint is the row: each step's result is written to it before
the next step starts, so a task redelivered after a crash resumes where the last
one stopped: a reply already recorded is reused, never bought again; a call that
was in flight when the worker died never completed, so making it again is the
first success.

Transient provider errors leave this module (the task retries them later); a
permanent one moves on to the next model of the fallback chain."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from analysis.report.input import AnalysisInput
from analysis.engine.analyzer import MalformedReply, analyze
from analysis.digest import Digest
from analysis.llm.budget import DoesNotFit
from analysis.llm.calls import CallRecord
from analysis.llm.errors import PermanentLLMError
from analysis.offline.checks import analyze as analyze_offline
from analysis.registry import OFFLINE_MODEL_NAME, RegistryError
from analysis.registry.providers import api_key_for
from webapp.analyses.errors import Cancelled
from webapp.core.markdown import render_markdown
from webapp.analyses.models import Analysis, Stage, Status
from webapp.analyses.ledger import RowLedger, settle_in_flight
from webapp.core.leases import LeasedWork, gave_up_after_crashes
from webapp.core.task_options import call_timeout, retry_detail, retry_entry
from webapp.llm import metrics as llm_metrics
from webapp.llm.compression_config import compression_settings
from webapp.llm.registry import get_registry
from webapp.llm.services import digest_for_run



WORK = LeasedWork(Analysis, waiting=Status.QUEUED, working=Status.RUNNING)


def claim(analysis_id) -> Analysis | None:
    """Take the row for this delivery: a queued analysis, or a running one whose
    previous holder's lease has run out (it crashed, or was killed by the hard
    time limit). None when someone else holds it or it is finished."""
    if not WORK.claim(analysis_id):
        return None
    analysis = Analysis.objects.select_related("run").get(pk=analysis_id)
    if analysis.started_at is None:
        analysis.started_at = timezone.now()
        analysis.save(update_fields=["started_at"])
    # The last holder may have died waiting for a reply the provider billed.
    settle_in_flight(analysis)
    return analysis


def lease_wait_seconds(analysis_id) -> float | None:
    """How long until a running analysis's lease runs out; None when it is not running."""
    return WORK.wait_seconds(analysis_id)


def stalled_ids(queued_for: timedelta) -> list:
    return WORK.stalled_ids(queued_for)


def release_all_claims() -> int:
    """Expire the lease of every running analysis (their worker is gone: see
    webapp.core.leases); the next delivery or the sweeper takes them at once."""
    return WORK.release_all()


def retry_later(analysis: Analysis, error: Exception, delay: float, hold_seconds: float) -> None:
    """Hold the row until its retry (due in `delay` seconds), saying why on the page."""
    llm_metrics.count_failed_call(analysis.current_model or analysis.model, error)
    WORK.hold_for_retry(analysis, hold_seconds, retry_entry(error, delay), stage_detail=retry_detail(error, delay)[:255])


def run(analysis: Analysis, *, final_attempt: bool = False) -> None:
    """Carry a claimed analysis to `done`, `failed` or `cancelled`."""
    gave_up = gave_up_after_crashes(analysis, analysis.stage_detail or analysis.get_stage_display())
    if gave_up:
        fail(analysis, gave_up)
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
    # A call still out (the time limit cut it off) may have been billed.
    settle_in_flight(analysis, "in flight when the analysis stopped")
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
    outcome = analyze(
        model,
        material,
        api_key=api_key_for(model),
        timeout=call_timeout(),
        compression=compression_settings(analysis.compression, fallback_on_rate_limit=final_attempt),
        checkpoint=RowCheckpoint(analysis),
    )
    return outcome.raw_report


class RowCheckpoint(RowLedger):
    """The engine's checkpoint (analysis.engine.analyzer.Checkpoint), kept in the analysis
    row: its stage, the compressed prompt of the current phase, and the spend ledger
    of every call (webapp.analyses.ledger), with the reply text of the analysis calls."""

    def __init__(self, analysis: Analysis):
        super().__init__(analysis)
        self.analysis = analysis

    def enter(self, step: str, detail: str = "") -> None:
        _stage(self.analysis, step, detail)
        if step == Stage.CALLING_MODEL:
            _update(self.analysis, calling_started_at=timezone.now())

    def note(self, detail: str) -> None:
        _update(self.analysis, stage_detail=detail[:255])

    def saved_prompt(self) -> dict | None:
        saved = self.analysis.prompt
        # The compression record lives in its own column, which the report page shows.
        return None if saved is None else {**saved, "record": self.analysis.compression_record}

    def save_prompt(self, saved: dict) -> None:
        prompt = {"phase": saved["phase"], "compressed": saved["compressed"]}
        _update(self.analysis, prompt=prompt, compression_record=saved["record"])

    def recorded_reply(self, phase: str, purpose: str) -> str | None:
        return next(
            (call["text"] for call in self.analysis.calls
             if call.get("phase") == phase and call["purpose"] == purpose and "text" in call),
            None,
        )

    def confirmed_fields(self, call: CallRecord, phase: str, text: str | None, entry: dict) -> dict:
        """The prices the call was billed at; for the analysis call also its reply,
        which makes the call a checkpoint."""
        fields = {"prices": {**self.analysis.prices, call.model: _prices(call.model)}}
        if text is not None:
            entry["text"] = text
            fields["raw_reply"] = text
        return fields


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
