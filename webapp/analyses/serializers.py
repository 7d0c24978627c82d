"""The analysis as JSON: the public contract of `GET /api/v1/analyses/{id}`, also
what the `.json` download holds. Adding a key is fine; renaming one breaks CI
pipelines that read it."""

from __future__ import annotations

from webapp.analyses.models import Analysis


def actual_usage(analysis: Analysis) -> dict:
    return {
        "input_tokens": analysis.input_tokens,
        "output_tokens": analysis.output_tokens,
        "cached_input_tokens": analysis.cached_input_tokens,
        "reasoning_tokens": analysis.reasoning_tokens,
        "cost_usd": float(analysis.cost_usd),
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
        "created_at": analysis.created_at.isoformat(),
        "started_at": analysis.started_at.isoformat() if analysis.started_at else None,
        "finished_at": analysis.finished_at.isoformat() if analysis.finished_at else None,
        "url": url,
    }
