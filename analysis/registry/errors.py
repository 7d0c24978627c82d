"""What can go wrong when choosing a model, worded for the person who chose it."""

from __future__ import annotations

from pathlib import Path


class RegistryError(Exception):
    pass


class UnknownModel(RegistryError, LookupError):
    def __init__(self, name: str, suggestions: tuple[str, ...] = (), *, not_allowed: bool = False) -> None:
        self.name = name
        self.suggestions = suggestions  # closest known names, best first
        self.not_allowed = not_allowed  # known to litellm but left out by the allowlist
        if not_allowed:
            message = f"Model {name!r} is not in this deployment's allowlist."
        else:
            message = f"Unknown model {name!r}."
        if suggestions:
            message += " Did you mean " + ", ".join(suggestions) + "?"
        super().__init__(message)


class ModelUnavailable(RegistryError):
    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"Model {name!r} is not available: {reason}")


class ConfigError(RegistryError, ValueError):
    """The registry settings name something that does not exist."""


class ModelsFileError(ConfigError):
    def __init__(self, path: Path, field: str | None, problem: str) -> None:
        self.path = path
        self.field = field  # e.g. "models[2].context_window"; None when the whole file is at fault
        self.problem = problem
        where = f"{path}: {field}" if field else str(path)
        super().__init__(f"{where}: {problem}")


class DiscoveryError(RegistryError):
    """A provider's model list could not be fetched or read."""
