"""The model registry: which analysis models exist, which can be used, the default,
and advice for a run's size. Pure Python: the web layer builds a RegistryConfig from
Django settings and calls `Registry.build(config)`."""

from analysis.registry.availability import Availability
from analysis.registry.config import DEFAULT_MODEL_ENV, MODELS_FILE_ENV, RegistryConfig
from analysis.registry.errors import (
    ConfigError,
    DiscoveryError,
    ModelsFileError,
    ModelUnavailable,
    RegistryError,
    UnknownModel,
)
from analysis.registry.offline import OFFLINE_MODEL, OFFLINE_MODEL_NAME
from analysis.registry.recommend import Recommendation
from analysis.registry.registry import Registry
from analysis.registry.serialize import estimate_to_dict, model_to_dict

__all__ = [
    "DEFAULT_MODEL_ENV",
    "MODELS_FILE_ENV",
    "OFFLINE_MODEL",
    "OFFLINE_MODEL_NAME",
    "Availability",
    "ConfigError",
    "DiscoveryError",
    "ModelUnavailable",
    "ModelsFileError",
    "Recommendation",
    "Registry",
    "RegistryConfig",
    "RegistryError",
    "UnknownModel",
    "estimate_to_dict",
    "model_to_dict",
]
