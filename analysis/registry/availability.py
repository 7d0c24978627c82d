"""Whether a model can be used here, and if not, what to set. Here only the environment
is consulted (the registry adds the endpoint's own model list): no key is ever
"checked" by spending on it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from analysis.llm.modelinfo import ModelInfo
from analysis.registry.providers import provider_spec

OFFLINE_PROVIDER = "debrief"


@dataclass(frozen=True)
class Availability:
    available: bool
    reason: str | None = None  # why not, naming what to set; None when available
    listed_live: bool = False  # confirmed by the endpoint's own model list, not only by the environment
    # Set when the endpoint's list could not be read: the environment's answer stands, unconfirmed.
    note: str | None = None


AVAILABLE = Availability(True)


def required_credentials(model: ModelInfo) -> tuple[tuple[str, ...], ...]:
    """Groups of variables, any one of which (all of its variables set) suffices."""
    if model.provider == OFFLINE_PROVIDER:
        return ()
    if model.custom:
        # A local endpoint often needs no key at all.
        return ((model.api_key_env,),) if model.api_key_env else ()
    return provider_spec(model.provider).credentials


def credential_availability(model: ModelInfo, env_value: Callable[[str], str | None]) -> Availability:
    groups = required_credentials(model)
    if not groups or any(all(env_value(var) for var in group) for group in groups):
        return AVAILABLE
    missing = [var for var in groups[0] if not env_value(var)]
    reason = f"{_join(missing)} {'is' if len(missing) == 1 else 'are'} not set"
    alternatives = [" and ".join(group) for group in groups[1:]]
    if alternatives:
        reason += f" (or set {' or '.join(alternatives)})"
    return Availability(False, reason)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
