"""What an analysis of a run would cost with a given model, before anything is spent.

The input tokens are those of the exact request the analyzer sends
(`analysis.engine.analyzer.build_prompt` over the run's digest), counted with the
model's tokenizer; the output tokens are the analyzer's cap for the model. A run's
stored files never change, so the count is kept per (run, attempt, tokenizer) and
the compression plan per (run, attempt, model, strategy): a second preview reads
two cache entries and does arithmetic, without opening the run at all. The count
and the plan are also stored in the database (`EstimateFigure`), so they survive a restart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from analysis.report.input import AnalysisInput
from analysis.digest import Digest, build_digest
from analysis.offline.checks import digest_findings
from analysis.llm.budget import output_reserve
from analysis.massgen import Session, read_session
from analysis.llm.pricing import estimate
from analysis.registry import estimate_to_dict
from analysis.llm.token_counter import tokenizer_of
from webapp.llm.compression_config import needs_compression, plan_cache_parts
from webapp.llm.compression_preview import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, Compression, compression_preview
from webapp.llm.estimate_cache import stored
from webapp.llm.registry import get_registry
from webapp.llm.request_tokens import exact_input_tokens
from webapp.runs import storage
from webapp.runs.errors import RunNotReady
from webapp.runs.models import Attempt, Run, RunStatus

__all__ = [
    "COMPRESSION_CHOICES",
    "DEFAULT_COMPRESSION",
    "RunMaterial",
    "session_material",
    "default_note",
    "digest_for_run",
    "estimate_for_run",
    "estimate_material",
    "list_models",
    "list_providers",
    "path_material",
    "run_material",
]


@dataclass(frozen=True)
class RunMaterial:
    """A run as the estimate needs it: a stable identity for the caches (None: do
    not cache) and a way to build its analysis input, used only on a cache miss."""

    cache_id: str | None
    load: Callable[[], AnalysisInput]
    run_pk: Any = None  # a stored run: its prompt counts are kept in the database too


# --- the models ---------------------------------------------------------------------


def list_models(
    provider: str | None = None, available: bool | None = None, search: str = "", refresh: bool = False
) -> list[dict[str, Any]]:
    """`model_to_dict` rows, sorted by provider then name; `search` matches any part
    of the name, case-insensitively. `refresh` asks every endpoint for its model
    list again instead of using the cached one."""
    registry = get_registry()
    if refresh:
        registry.refresh_listings()
    needle = search.strip().casefold()
    return [
        registry.describe(model)
        for model in registry.all(provider=provider or None, available=available)
        if needle in model.name.casefold()
    ]


def default_note() -> str | None:
    """Why the default model is debrief/offline although a provider is configured
    (its endpoint lists nothing usable); None otherwise."""
    return get_registry().default_note


def list_providers() -> list[str]:
    return sorted({model.provider for model in get_registry().all()})


# --- the run's analysis input -----------------------------------------------------


def digest_for_run(run: Run, attempt: Attempt | None = None) -> Digest:
    """The digest the analysis of `attempt` (default: the first turn's accepted
    attempt) sends; the analysis task must use this very function so that the
    estimate counts what is sent."""
    if run.status != RunStatus.READY or not run.storage_path:
        raise RunNotReady.needed_for(run, "estimates need a ready run")
    turn, number = (None, None) if attempt is None else (attempt.turn, attempt.attempt)
    # The digest holds text, not references into the files: it outlives the local copy.
    with storage.session_folder(run) as folder:
        return build_digest(read_session(folder), turn, number, findings=digest_findings)


def run_material(run: Run, attempt: Attempt | None = None) -> RunMaterial:
    if run.status != RunStatus.READY:
        raise RunNotReady.needed_for(run, "estimates need a ready run")
    which = "default" if attempt is None else f"{attempt.turn}.{attempt.attempt}"
    # When the run was last read: a re-read or a `--continue` joined later changes its digest.
    # The id's shape is relied on by estimate_cache._forget_outdated (the reading is all but the last part).
    read = run.processed_at.timestamp() if run.processed_at else 0
    return RunMaterial(f"run:{run.pk}:{read}:{which}", lambda: digest_for_run(run, attempt).input, run.pk)


def path_material(path: Path, turn: int | None = None, attempt: int | None = None) -> RunMaterial:
    """A run folder or archive read directly (the CLI's PATH): no database, and no
    cache entry for a path whose contents may change. Read once, however many
    models are estimated."""
    return RunMaterial(None, cache(lambda: _session_input(read_session(path), turn, attempt)))


def session_material(session: Session) -> RunMaterial:
    """A session already read (an uploaded archive estimated without storing it):
    like `path_material`, never cached."""
    return RunMaterial(None, cache(lambda: _session_input(session)))


def _session_input(session: Session, turn: int | None = None, attempt: int | None = None) -> AnalysisInput:
    return build_digest(session, turn, attempt, findings=digest_findings).input


# --- estimates ---------------------------------------------------------------------


def estimate_for_run(
    run: Run, model_name: str, attempt: Attempt | None = None, compression: Compression = DEFAULT_COMPRESSION
) -> dict[str, Any]:
    """The estimate dict (`analysis.registry.estimate_to_dict`'s shape, with
    `compression` filled in when the run does not fit the model's window).
    Raises UnknownModel, ModelUnavailable or RunNotReady."""
    return estimate_material(run_material(run, attempt), model_name, compression)


def estimate_material(
    material: RunMaterial, model_name: str | None, compression: Compression = DEFAULT_COMPRESSION
) -> dict[str, Any]:
    """`model_name` None: the registry's default model."""
    registry = get_registry()
    model = registry.require_available(model_name)
    loaded = cache(material.load)  # built at most once, and only on a cache miss
    input_tokens = stored(material.run_pk, material.cache_id, "prompt", (tokenizer_of(model),), lambda: exact_input_tokens(model, loaded()))
    priced = estimate(model, input_tokens, output_reserve(model))
    plan = None
    if needs_compression(model, input_tokens, compression):
        parts = (repr(model), *plan_cache_parts(model, compression))
        plan = stored(material.run_pk, material.cache_id, "plan", parts, lambda: compression_preview(model, loaded(), compression))
    return estimate_to_dict(priced, registry.recommend(priced), plan)
