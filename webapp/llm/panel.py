"""What the Analyse panel shows: the model choice (usable models only, the
recommended one first, plus one "add a key to unlock n models" line per provider
that cannot be used), and one cost preview. Views and the panel's template tag
call these; they never raise for a bad choice, they say what is wrong in the preview."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from analysis.registry import ModelUnavailable, RegistryError, UnknownModel
from webapp.llm.compression_preview import can_run, expected_total_usd, is_compressed
from webapp.llm.model_order import split_usable
from webapp.llm.registry import get_registry
from webapp.llm.services import COMPRESSION_CHOICES, DEFAULT_COMPRESSION, estimate_for_run
from webapp.runs.charts import compact_number
from webapp.runs.errors import RunNotReady
from webapp.runs.models import Attempt, Run

CHEAPEST_MARK = "cheapest that fits"


@dataclass(frozen=True)
class ModelChoice:
    value: str  # "" for a line standing for several unavailable models
    label: str
    available: bool


@dataclass(frozen=True)
class ProviderGroup:
    provider: str  # the optgroup's label
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
    # Two groups at most: the usable models (the default first), then one disabled
    # line per provider whose models cannot be used, saying how to unlock them.
    groups: tuple[ProviderGroup, ...] = ()
    default_model: str = ""
    compressions: tuple[str, ...] = COMPRESSION_CHOICES
    error: str | None = None


USABLE_GROUP = "Usable models"
LOCKED_GROUP = "Not usable here"


def choices() -> Choices:
    """The usable models, then one line per provider that cannot be used."""
    try:
        registry = get_registry()
        # Also recomputed once per discovery TTL, so that an endpoint's changed list is seen.
        ttl = max(registry.config.discovery_ttl_seconds, 1.0)
        return _choices_of(registry, (registry.listings_version, int(time.monotonic() // ttl)))
    except RegistryError as error:
        return Choices(error=f"The model registry is misconfigured: {error}")


@lru_cache(maxsize=4)
def _choices_of(registry, listings_state: tuple[int, int]) -> Choices:
    # Describing ~2,700 models costs up to 200 ms; a registry is immutable and
    # rebuilt when its configuration changes, and `listings_state` changes when an
    # endpoint's model list does (or may have), so the choices are computed once per state.
    rows = [registry.describe(model) for model in registry.all()]
    usable, locked = split_usable(rows)
    groups = [ProviderGroup(USABLE_GROUP, tuple(ModelChoice(row["name"], _label(row), True) for row in usable))]
    if locked:
        groups.append(ProviderGroup(LOCKED_GROUP, tuple(ModelChoice("", line.label, False) for line in locked)))
    return Choices(tuple(groups), registry.default_model.name)


def with_cheapest(choices: Choices, cheapest: str | None) -> Choices:
    """Once a run's estimate is known: its cheapest model that fits goes right after
    the recommended one, marked."""
    if not cheapest or not choices.groups:
        return choices
    usable, *rest = choices.groups
    found = [choice for choice in usable.choices if choice.value == cheapest]
    if not found:
        return choices
    marked = ModelChoice(cheapest, f"{found[0].label} · {CHEAPEST_MARK}", True)
    others = [choice for choice in usable.choices if choice.value != cheapest]
    head = 1 if others and others[0].value == choices.default_model else 0
    ordered = (*others[:head], marked, *others[head:])
    return Choices((ProviderGroup(usable.provider, ordered), *rest), choices.default_model, choices.compressions)


def _label(row: dict[str, Any]) -> str:
    parts = [row["name"], f"{compact_number(row['context_window'])} context"]
    if row["supports_reasoning"]:
        parts.append("reasoning")
    if row["supports_native_compaction"]:
        parts.append("native compaction")
    if row.get("price_known") is False:
        parts.append("price unknown")
    if row["is_default"]:
        parts.append("default (recommended)")
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
