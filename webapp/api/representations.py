"""How runs look in the API. The keys of `run_detail` are a public contract:
keys may be added, none removed or renamed."""

from __future__ import annotations

from django.urls import reverse

from webapp.runs.models import Run


def run_item(request, run: Run) -> dict:
    """A run in the list (and the answer to an upload): everything but the summary."""
    return {
        "id": str(run.pk),
        "url": request.build_absolute_uri(run.get_absolute_url()),
        "api_url": request.build_absolute_uri(reverse("api:run", args=[run.pk])),
        "status": run.status,
        "error": run.error or None,
        "sha256": run.sha256,
        "source": run.source,
        "original_name": run.original_name,
        "size_bytes": run.size_bytes,
        "created_at": run.created_at.isoformat(),
        "processed_at": run.processed_at.isoformat() if run.processed_at else None,
        "session_id": run.session_id or None,
        "massgen_version": run.massgen_version or None,
        "question": run.question or None,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "duration_seconds": run.duration_seconds,
        "winner": run.winner or None,
        "models": run.model_list,
        "agent_count": run.agent_count,
        # Null, never 0, when the run's MassGen version recorded no usage (0.1.1).
        "input_tokens": run.input_tokens,
        "output_tokens": run.output_tokens,
        "cost_usd": run.cost_usd,
        # Files a folder upload left out, per folder name (node_modules, .venv, workspace).
        "skipped_files": dict(run.skipped_files or {}),
        # The MassGen session (`session_YYYYMMDD_HHMMSS`); a `massgen --continue` run uploaded on
        # its own names the run it continues, which then holds every turn of the session.
        "massgen_session_id": run.massgen_session_id or None,
        "continues": str(run.continues_id) if run.continues_id else None,
        "continued_by": [str(item.pk) for item in sorted(run.continuations.all(), key=lambda item: item.created_at)],
    }


def run_detail(request, run: Run) -> dict:
    """One run: its item plus the reader's summary (null until it is ready)."""
    return run_item(request, run) | {"summary": run.summary if run.status == "ready" else None}
