"""What the Analyse panel shows: the model choice, grouped by provider, and one
cost preview. Views and the panel's template tag call these; they never raise
for a bad choice, they say what is wrong in the preview."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from typing import Any

from analysis.registry import ModelUnavailable, RegistryError, UnknownModel
from webapp.llm.compression_preview import can_run, expected_total_usd, is_compressed
from webapp.llm.registry import get_registry
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, RunNotReady, estimate_for_run
from webapp.runs.charts import compact_number
from webapp.runs.models import Attempt, Run

# A provider without credentials lists its models one by one up to this many;
# beyond, one disabled line stands for them all (litellm knows hundreds per
# provider, and the Models page lists every one).
UNAVAILABLE_LISTED_MAX = 12


@dataclass(frozen=True)
class ModelChoice:
    value: str  # "" for a line standing for several unavailable models
    label: str
    available: bool


@dataclass(frozen=True)
class ProviderGroup:
    provider: str
    choices: tuple[ModelChoice, ...]


@dataclass(frozen=True)
class Preview:
    model_name: str
    compression: str
    estimate: dict[str, Any] | None = None
    model: dict[str, Any] | None = None  # model_to_dict of the chosen model
    error: str | None = None

    @property
    def total_usd(self) -> float | None:
        return None if self.estimate is None else expected_total_usd(self.estimate)

    @property
    def compressed(self) -> bool:
        return self.estimate is not None and is_compressed(self.estimate)

    @property
    def over_cost_warning(self) -> bool:
        """Above the deployment's warning threshold, compression included."""
        if self.estimate is None:
            return False
        return self.total_usd > self.estimate["recommendation"]["cost_warning_usd"]

    @property
    def can_run(self) -> bool:
        """Estimated, and it fits: as it is or once compressed."""
        return self.estimate is not None and can_run(self.estimate)


@dataclass(frozen=True)
class Choices:
    groups: tuple[ProviderGroup, ...] = ()
    default_model: str = ""
    compressions: tuple[str, ...] = COMPRESSION_CHOICES
    error: str | None = None


def choices() -> Choices:
    """Every model, grouped by provider (`registry.all()` sorts by provider)."""
    try:
        registry = get_registry()
    except RegistryError as error:
        return Choices(error=f"The model registry is misconfigured: {error}")
    return _choices_of(registry)


@lru_cache(maxsize=4)
def _choices_of(registry) -> Choices:
    # Describing ~2,700 models costs up to 200 ms; a registry is immutable and
    # rebuilt when its configuration changes, so its choices are computed once.
    try:
        rows = [registry.describe(model) for model in registry.all()]
    except RegistryError as error:
        return Choices(error=f"The model registry is misconfigured: {error}")
    groups = tuple(_group(provider, list(group)) for provider, group in groupby(rows, key=lambda row: row["provider"]))
    return Choices(groups, registry.default_model.name)


def _group(provider: str, rows: list[dict[str, Any]]) -> ProviderGroup:
    if not any(row["available"] for row in rows) and len(rows) > UNAVAILABLE_LISTED_MAX:
        reasons = sorted({row["unavailable_reason"] for row in rows})
        line = ModelChoice("", f"{len(rows)} {provider} models: {'; '.join(reasons)}", available=False)
        return ProviderGroup(provider, (line,))
    return ProviderGroup(provider, tuple(ModelChoice(row["name"], _label(row), row["available"]) for row in rows))


def _label(row: dict[str, Any]) -> str:
    parts = [row["name"], f"{compact_number(row['context_window'])} context"]
    if row["supports_reasoning"]:
        parts.append("reasoning")
    if row["supports_native_compaction"]:
        parts.append("native compaction")
    if row["is_default"]:
        parts.append("default")
    if not row["available"]:
        parts.append(f"unavailable: {row['unavailable_reason']}")
    return " · ".join(parts)


def preview(run: Run, attempt: Attempt | None, model_name: str | None, compression: str | None) -> Preview:
    """The cost preview for the panel; a bad model or compression comes back as
    `error`, worded for the person who chose it."""
    compression = compression or DEFAULT_COMPRESSION
    model_name = (model_name or "").strip()
    if compression not in COMPRESSION_CHOICES:
        return Preview(model_name, DEFAULT_COMPRESSION, error=f"Unknown compression {compression!r}.")
    try:
        model_name = model_name or get_registry().default_model.name
        estimate = estimate_for_run(run, model_name, attempt, compression)
        model = get_registry().describe(model_name)
    except (UnknownModel, ModelUnavailable, RunNotReady) as error:
        return Preview(model_name, compression, error=str(error))
    except RegistryError as error:  # a broken models file, a default that names nothing
        return Preview(model_name, compression, error=f"The model registry is misconfigured: {error}")
    return Preview(model_name, compression, estimate, model)
