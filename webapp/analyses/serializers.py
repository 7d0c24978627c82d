"""The analysis as JSON: the public contract of `GET /api/v1/analyses/{id}`, also
what the `.json` download holds. Adding a key is fine; renaming one breaks CI
pipelines that read it."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

from analysis.compression import CompressionRecord
from analysis.llm.calls import total_cost, total_usage
from webapp.analyses.ledger import unconfirmed_json
from webapp.analyses.models import Analysis


def actual_usage(analysis: Analysis) -> dict:
    return {
        "input_tokens": analysis.input_tokens,
        "output_tokens": analysis.output_tokens,
        "cached_input_tokens": analysis.cached_input_tokens,
        "reasoning_tokens": analysis.reasoning_tokens,
        "cost_usd": float(analysis.cost_usd),
    }


def answers_json(analysis: Analysis) -> dict:
    """What the follow-up answers about this analysis cost, apart from the analysis
    itself: measured, and probably billed but never read (counted at estimates,
    each with its reason). Read through the reverse relation: the conversations app
    sits above this one."""
    conversation = getattr(analysis, "conversation", None)  # none until a first question
    answers = list(conversation.messages.exclude(in_reply_to=None)) if conversation else []
    calls = [call for answer in answers for call in answer.unconfirmed_calls]
    unconfirmed = sum((answer.unconfirmed_usd for answer in answers), Decimal(0))
    return {
        "count": len(answers),
        "cost_usd": float(sum((answer.cost_usd for answer in answers), Decimal(0))),
        "unconfirmed": unconfirmed_json(SimpleNamespace(unconfirmed_usd=unconfirmed, unconfirmed_calls=calls)),
    }


def compression_json(analysis: Analysis) -> dict:
    """What the report page's Compression card shows: the strategy asked for,
    planned by the estimate and applied by the worker; tokens before and after;
    each compression call with its usage and cost; the fallback and why.
    `applied` and the rest are null until the analysis reaches compression."""
    # The estimate has no compression plan when the run fits: nothing planned.
    planned = ((analysis.estimate.get("compression") or {}).get("strategy") or "none") if analysis.estimate else None
    reply = {
        "requested": analysis.compression,
        "planned": planned,
        "applied": None,
        "tokens_before": None,
        "tokens_after": None,
        "budget_tokens": None,
        "calls": [],
        "usage": None,
        "cost_usd": None,
        "fallback_reason": None,
    }
    if not analysis.compression_record:
        return reply
    record = CompressionRecord.from_dict(analysis.compression_record)
    return reply | {
        "applied": record.applied,
        "tokens_before": record.tokens_before,
        "tokens_after": record.tokens_after,
        "budget_tokens": record.budget,
        "calls": [call.to_dict() for call in record.calls],
        "usage": total_usage(record.calls).to_dict(),
        "cost_usd": total_cost(record.calls),
        "fallback_reason": record.fallback_reason,
    }


def analysis_json(analysis: Analysis, url: str) -> dict:
    """`url` is the absolute URL of the report page."""
    return {
        "id": str(analysis.pk),
        "run": str(analysis.run_id),
        "model": analysis.model,
        "compression": analysis.compression,
        "status": analysis.status,
        "stage": analysis.stage,
        "error": analysis.error,
        "verdict": analysis.verdict or None,
        "findings": analysis.findings,
        "report_markdown": analysis.report_markdown,
        "report_html": analysis.report_html,
        "estimate": analysis.estimate,
        "actual": actual_usage(analysis),
        "prices": analysis.prices,
        "answered_by": analysis.answered_by or None,
        "fallback_reason": analysis.fallback_reason or None,
        "compression_record": compression_json(analysis),
        "stage_detail": analysis.stage_detail or None,
        "retries": [
            {"at": entry.get("at"), "status": entry.get("status"), "error": entry.get("error"), "retry_in_seconds": entry.get("retry_in_seconds")}
            for entry in analysis.retry_log
        ],
        "unconfirmed": unconfirmed_json(analysis),
        "answers": answers_json(analysis),
        "created_at": analysis.created_at.isoformat(),
        "started_at": analysis.started_at.isoformat() if analysis.started_at else None,
        "finished_at": analysis.finished_at.isoformat() if analysis.finished_at else None,
        "url": url,
    }
