"""Custom models (local or self-hosted OpenAI-compatible endpoints) from the TOML or
YAML file named by DEBRIEF_MODELS_FILE. The format is documented in docs/models.md;
every problem is reported with the file and the field at fault."""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlsplit

import yaml

from analysis.llm.modelinfo import Api, ModelInfo
from analysis.llm.pricing import PER_MILLION_TOKENS
from analysis.registry.errors import ModelsFileError

DEFAULT_CUSTOM_PROVIDER = "custom"
# An OpenAI-compatible endpoint is called through litellm's OpenAI client with its own base URL.
LITELLM_ROUTE = "openai"

_REQUIRED = ("name", "base_url", "context_window", "max_output_tokens", "input_usd_per_mtok", "output_usd_per_mtok")
_OPTIONAL = (
    "provider",
    "model",
    "cached_input_usd_per_mtok",
    "native_compaction",
    "api",
    "api_key_env",
    "tokenizer",
    "supports_reasoning",
)
_CALLABLE_APIS = tuple(api for api in get_args(Api) if api != "offline")


def load_custom_models(path: Path, default_tokenizer: str) -> tuple[ModelInfo, ...]:
    entries = _read_entries(path)
    models: list[ModelInfo] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        model = _model_from_entry(_Fields(path, f"models[{index}]", entry), default_tokenizer)
        if model.name in seen:
            raise ModelsFileError(path, f"models[{index}].name", f"{model.name!r} is defined twice")
        seen.add(model.name)
        models.append(model)
    return tuple(models)


def _read_entries(path: Path) -> list[Any]:
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise ModelsFileError(path, None, "must end in .toml, .yaml or .yml")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ModelsFileError(path, None, f"cannot be read ({error.strerror or error})") from error
    try:
        document = tomllib.loads(raw.decode()) if suffix == ".toml" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as error:
        raise ModelsFileError(path, None, f"is not valid {suffix.lstrip('.').upper()}: {error}") from error
    if not isinstance(document, Mapping) or not isinstance(document.get("models"), list):
        raise ModelsFileError(path, "models", "the file must hold a list named 'models'")
    unknown = sorted(set(document) - {"models"})
    if unknown:
        raise ModelsFileError(path, unknown[0], "unknown top-level key (only 'models' is read)")
    return document["models"]


def _model_from_entry(fields: _Fields, default_tokenizer: str) -> ModelInfo:
    name = fields.text("name")
    model_id = fields.text("model", default=name)
    native_compaction = fields.boolean("native_compaction", default=False)
    # Compaction lives in the Responses API, so a model that compacts is called through it.
    api = fields.choice("api", _CALLABLE_APIS, default="responses" if native_compaction else "chat")
    if native_compaction and api != "responses":
        raise fields.error("api", "native_compaction needs api = 'responses'")
    cached = fields.price("cached_input_usd_per_mtok", optional=True)
    return ModelInfo(
        name=name,
        provider=fields.text("provider", default=DEFAULT_CUSTOM_PROVIDER),
        litellm_model=f"{LITELLM_ROUTE}/{model_id}",
        api=api,
        context_window=fields.positive_int("context_window"),
        max_output_tokens=fields.positive_int("max_output_tokens"),
        input_usd_per_token=fields.price("input_usd_per_mtok") / PER_MILLION_TOKENS,
        output_usd_per_token=fields.price("output_usd_per_mtok") / PER_MILLION_TOKENS,
        cached_input_usd_per_token=None if cached is None else cached / PER_MILLION_TOKENS,
        supports_reasoning=fields.boolean("supports_reasoning", default=False),
        supports_native_compaction=native_compaction,
        api_base=fields.url("base_url"),
        api_key_env=fields.text("api_key_env", default=None),
        tokenizer_model=fields.text("tokenizer", default=default_tokenizer),
        custom=True,
    )


class _Fields:
    """One entry's fields, each read with its type checked and its location known."""

    _MISSING = object()

    def __init__(self, path: Path, where: str, entry: Any) -> None:
        self.path, self.where = path, where
        if not isinstance(entry, Mapping):
            raise ModelsFileError(path, where, "each model must be a table/mapping of fields")
        unknown = sorted(set(entry) - set(_REQUIRED) - set(_OPTIONAL))
        if unknown:
            raise self.error(unknown[0], "unknown field (see docs/models.md)")
        self.entry = entry

    def error(self, field: str, problem: str) -> ModelsFileError:
        return ModelsFileError(self.path, f"{self.where}.{field}", problem)

    def _get(self, field: str, default: Any, valid: Callable[[Any], bool], expected: str) -> Any:
        value = self.entry.get(field, self._MISSING)
        if value is self._MISSING:
            if default is self._MISSING:
                raise self.error(field, "is required")
            return default
        if not valid(value):
            raise self.error(field, f"must be {expected}, got {value!r}")
        return value

    def text(self, field: str, default: Any = _MISSING) -> Any:
        def valid(value: Any) -> bool:
            return isinstance(value, str) and value != "" and value.strip() == value

        return self._get(field, default, valid, "a non-empty string without surrounding spaces")

    def boolean(self, field: str, default: Any = _MISSING) -> bool:
        return self._get(field, default, lambda v: isinstance(v, bool), "true or false")

    def positive_int(self, field: str) -> int:
        def valid(value: Any) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value > 0

        return self._get(field, self._MISSING, valid, "a positive integer")

    def price(self, field: str, optional: bool = False) -> Any:
        def valid(value: Any) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < math.inf

        value = self._get(field, None if optional else self._MISSING, valid, "a number of US dollars ≥ 0")
        return None if value is None else float(value)

    def choice(self, field: str, options: tuple[str, ...], default: str) -> Any:
        return self._get(field, default, lambda v: v in options, " or ".join(repr(option) for option in options))

    def url(self, field: str) -> str:
        def valid(value: Any) -> bool:
            if not isinstance(value, str):
                return False
            parts = urlsplit(value)
            return parts.scheme in ("http", "https") and bool(parts.netloc)

        return self._get(field, self._MISSING, valid, "an http(s) URL such as http://127.0.0.1:8000/v1").rstrip("/")
