"""Choosing a model for one run in a terminal: every usable model with this run's
estimate, whether it fits the window (or how it would be compressed) and its
capabilities, the recommended (default) and cheapest-that-fits ones first.
`debrief analyze` without --model and `debrief models list --for` print it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.registry import ModelUnavailable
from webapp.llm.compression_preview import can_run, expected_total_usd, is_compressed
from webapp.llm.registry import get_registry
from webapp.llm.services import DEFAULT_COMPRESSION, RunMaterial, estimate_material, path_material, run_material
from webapp.runs.models import Run


class NoSuchTarget(ValueError):
    pass


def target_material(target: str) -> RunMaterial:
    """A run id, or a log_* folder or archive read directly. Raises NoSuchTarget or RunNotReady."""
    try:
        run = Run.objects.filter(pk=uuid.UUID(target)).first()
    except ValueError:
        run = None
    if run is not None:
        return run_material(run)
    path = Path(target)
    if not path.exists():
        raise NoSuchTarget(f"{target} is neither a run id nor a folder or archive on disk.")
    return path_material(path)


@dataclass(frozen=True)
class RunChoice:
    name: str
    total_usd: float
    input_tokens: int
    context_window: int
    fit: str  # "fits", "compressed (native)", "does not fit: ..."
    runnable: bool
    features: tuple[str, ...]
    recommended: bool  # the deployment's default model
    cheapest_fitting: bool  # the cheapest usable model that holds the run uncompressed
    price_known: bool = True  # False: total_usd is 0 because the model has no price

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "features": list(self.features)}


def run_choices(material: RunMaterial, compression: str = DEFAULT_COMPRESSION) -> list[RunChoice]:
    """Usable models only (available, listed by their endpoint): recommended first,
    then the cheapest that fits, then the rest that can run by price, then those that cannot."""
    registry = get_registry()
    rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for model in registry.all(available=True):
        try:
            rows.append((registry.describe(model), estimate_material(material, model.name, compression)))
        except ModelUnavailable:  # the endpoint stopped listing it since
            continue
    cheapest = next((e["recommendation"]["cheapest_fitting_model"] for _, e in rows if e["recommendation"]), None)
    choices = [_choice(row, estimate, cheapest) for row, estimate in rows]
    return sorted(
        choices,
        # An unpriced model's $0 is not the cheapest: priced models first.
        key=lambda c: (not c.recommended, not c.cheapest_fitting, not c.runnable, not c.price_known, c.total_usd, c.name),
    )


def _choice(row: dict[str, Any], estimate: dict[str, Any], cheapest: str | None) -> RunChoice:
    if estimate["fits_context"]:
        fit = "fits"
    elif can_run(estimate):
        fit = f"compressed ({estimate['compression']['strategy']})" if is_compressed(estimate) else "fits"
    else:
        fit = f"does not fit: {estimate['compression'].get('reason', 'too large')}"
    features = tuple(
        label
        for label, key in (("reasoning", "supports_reasoning"), ("native compaction", "supports_native_compaction"))
        if row[key]
    )
    return RunChoice(
        name=row["name"],
        total_usd=expected_total_usd(estimate),
        input_tokens=estimate["input_tokens"],
        context_window=estimate["context_window"],
        fit=fit,
        runnable=can_run(estimate),
        features=features,
        recommended=row["is_default"],
        cheapest_fitting=row["name"] == cheapest,
        price_known=estimate.get("price_known", True),
    )


def render_choices(choices: list[RunChoice], numbered: bool = True) -> str:
    """A numbered table; `recommended` and `cheapest that fits` are marked."""
    if not choices:
        return "No usable models: `debrief models list` says what to set."
    lines = []
    width = max(len(choice.name) for choice in choices)
    for number, choice in enumerate(choices, start=1):
        marks = [mark for mark, on in (("recommended", choice.recommended), ("cheapest that fits", choice.cheapest_fitting)) if on]
        prefix = f"{number:>3}. " if numbered else ""
        lines.append(
            f"{prefix}{choice.name.ljust(width)}  {_money(choice.total_usd) if choice.price_known else 'price ?':>9}  {choice.fit}"
            f"  ({choice.input_tokens:,} of {choice.context_window:,} tokens)"
            + (f"  {', '.join(choice.features)}" if choice.features else "")
            + (f"  [{'; '.join(marks)}]" if marks else "")
        )
    return "\n".join(lines)


def _money(usd: float) -> str:
    return f"${usd:.4f}" if usd < 1 else f"${usd:,.2f}"
