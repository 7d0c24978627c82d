"""The analysis models a deployment offers: litellm's chat models (narrowed by the
allowlist, pointed at configured gateways), the custom models of the models file,
and debrief/offline; which of them can be used now; and which one is the default."""

from __future__ import annotations

import difflib
import fnmatch
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from analysis.llm.modelinfo import ModelInfo
from analysis.llm.pricing import Estimate
from analysis.registry.availability import Availability, credential_availability
from analysis.registry.config import DEFAULT_MODEL_ENV, RegistryConfig
from analysis.registry.custom_models import load_custom_models
from analysis.registry.discovery import Endpoint, ListingCache, ModelDiscovery
from analysis.registry.errors import ConfigError, DiscoveryError, ModelsFileError, ModelUnavailable, UnknownModel
from analysis.registry.listed_models import MAX_LISTED_MODELS_PER_ENDPOINT, listed_model, usable_id
from analysis.registry.litellm_catalog import litellm_catalog
from analysis.registry.offline import OFFLINE_MODEL, OFFLINE_MODEL_NAME
from analysis.registry.providers import provider_spec
from analysis.registry.recommend import Recommendation, recommend
from analysis.registry.serialize import model_to_dict

NOT_OFFERED = "not offered by this endpoint"
MAX_SUGGESTIONS = 5
SUGGESTION_CUTOFF = 0.6  # difflib similarity below which a name is not worth suggesting
# Registries kept per distinct config: a process normally has one; tests have a few.
MAX_CACHED_REGISTRIES = 8
# Recommendations a registry remembers (a few hundred bytes each).
MAX_REMEMBERED_RECOMMENDATIONS = 256

Clock = Callable[[], float]


class Registry:
    """Build with `Registry.build(config)`; lookups are dictionary reads."""

    def __init__(
        self,
        config: RegistryConfig,
        models: Iterable[ModelInfo],
        clock: Clock = time.monotonic,
        listing_cache: ListingCache | None = None,
    ) -> None:
        self.config = config
        self._models = {model.name: model for model in models}
        self._sorted = sorted(self._models.values(), key=lambda model: (model.provider, model.name))
        # "openai/gpt-5-mini" finds "gpt-5-mini": people paste litellm names too.
        self._aliases = {
            model.litellm_model: model
            for model in self._sorted
            if not model.custom and model.litellm_model not in self._models
        }
        self._casefolded = _unique_by(self._models.values(), lambda model: model.name.casefold())
        self._credential_checks: dict[str, Availability] = {}
        self._discovery = ModelDiscovery(config.discovery_ttl_seconds, clock, listing_cache)
        self._chosen_default: tuple[int, ModelInfo, str | None] | None = None
        self._listed: tuple[int, dict[str, ModelInfo]] | None = None
        # all(available=...) per (live, available): (listings version, valid until, models).
        # Every cost preview ranks the available models, and asking each of some
        # 2,700 models its availability took a third of the request.
        self._by_availability: dict[tuple[bool, bool], tuple[int, float, list[ModelInfo]]] = {}
        # recommend(estimate): the same few estimates are previewed over and over.
        self._recommended: OrderedDict[Estimate, tuple[int, float, Recommendation]] = OrderedDict()
        # Named defaults are checked now, without asking any endpoint (a misspelt one
        # is a ConfigError at start-up); the choice among provider defaults waits for
        # the endpoints' lists.
        self._named_default = self._named_default_model()
        self._provider_defaults = self._provider_default_models()

    @classmethod
    def build(
        cls, config: RegistryConfig, clock: Clock = time.monotonic, listing_cache: ListingCache | None = None
    ) -> Registry:
        """One registry per distinct config (environment and models file included),
        so repeated builds are free and discovery results are shared. `listing_cache`
        shares endpoint listings between processes (the web layer passes Django's cache)."""
        key = (_memo_key(config, clock), id(listing_cache))
        with _memo_lock:
            registry = _memo.get(key)
            if registry is not None:
                _memo.move_to_end(key)
                return registry
        registry = cls(config, _offered_models(config), clock, listing_cache)
        with _memo_lock:
            _memo[key] = registry
            while len(_memo) > MAX_CACHED_REGISTRIES:
                _memo.popitem(last=False)
        return registry

    # --- lookup ------------------------------------------------------------------

    def get(self, name: str) -> ModelInfo:
        """With live discovery, a name only an endpoint's list holds is found too."""
        model = self._known(name)
        if model is None and self.config.live_discovery:
            model = self._listed_models().get(name)
        if model is None:
            raise UnknownModel(name, self._suggestions(name), not_allowed=name in _catalog_names())
        return model

    def all(
        self, provider: str | None = None, available: bool | None = None, live: bool | None = None
    ) -> list[ModelInfo]:
        """Sorted by provider, then name; with live discovery, models that only an
        endpoint's list names (price unknown) too."""
        live = self.config.live_discovery if live is None else live
        if provider is None and available is not None:
            memo = self._by_availability.get((live, available))
            if memo is not None and memo[0] == self._discovery.version and self._discovery.clock() < memo[1]:
                return list(memo[2])
        models = self._sorted
        if live:
            listed = self._listed_models()
            if listed:
                models = sorted([*models, *listed.values()], key=lambda model: (model.provider, model.name))
        chosen = [
            model
            for model in models
            if (provider is None or model.provider == provider)
            and (available is None or self.availability(model, live=live).available == available)
        ]
        if provider is None and available is not None:
            # Valid until a listing changes or the first cached one is due to be asked again.
            self._by_availability[(live, available)] = (self._discovery.version, self._discovery.fresh_until(), chosen)
            return list(chosen)
        return chosen

    def provider_default(self, provider: str) -> ModelInfo | None:
        name = self.config.provider_defaults.get(provider)
        return self._models.get(name) if name else None

    # --- availability --------------------------------------------------------------

    def availability(self, model: ModelInfo | str, live: bool | None = None) -> Availability:
        """From the environment, and when `live` (default: the config's `live_discovery`)
        from the endpoint's model list too (cached for the discovery TTL), where the
        provider has one: a model it does not list is not offered by this endpoint. A
        list that cannot be read leaves the environment's answer, marked not confirmed."""
        model = self._resolve(model)
        static = self._credential_checks.get(model.name)
        if static is None:
            static = self._credential_checks[model.name] = credential_availability(model, self.config.env_value)
        live = self.config.live_discovery if live is None else live
        endpoint = self._endpoint(model) if live and static.available else None
        if endpoint is None:
            return static
        try:
            listing = self._discovery.list_models(endpoint)
        except DiscoveryError as error:
            return Availability(True, note=f"not confirmed: {error}")
        if not endpoint.lists(model.api_model_id, listing):
            return Availability(False, f"{NOT_OFFERED} ({endpoint.models_url} does not list {model.api_model_id})")
        return Availability(True, listed_live=True)

    def require_available(self, name: str | None = None, live: bool | None = None) -> ModelInfo:
        """The named model (the default when None), or ModelUnavailable saying why not."""
        model = self.default_model if name is None else self.get(name)
        availability = self.availability(model, live=live)
        if not availability.available:
            raise ModelUnavailable(model.name, str(availability.reason))
        return model

    def refresh_listings(self) -> dict[str, str | None]:
        """Ask every configured endpoint for its list again now (`--live`, `?live=1`):
        endpoint URL -> None when read, else why not."""
        outcome: dict[str, str | None] = {}
        for endpoint in self._configured_endpoints():
            try:
                self._discovery.list_models(endpoint, refresh=True)
                outcome[endpoint.models_url] = None
            except DiscoveryError as error:
                outcome[endpoint.models_url] = str(error)
        return outcome

    @property
    def listings_version(self) -> int:
        """Changes whenever a listing changes: what depends on availability is recomputed."""
        return self._discovery.version

    def discover(self, provider: str) -> frozenset[str]:
        """The model ids `provider`'s endpoint(s) list now (cached for the discovery TTL)."""
        endpoints = set()
        for model in self.all(provider=provider):
            endpoint = self._endpoint(model)
            if endpoint is None:
                continue
            availability = self.availability(model, live=False)
            if not availability.available:
                raise DiscoveryError(f"cannot list {provider} models: {availability.reason}")
            endpoints.add(endpoint)
        if not endpoints:
            raise DiscoveryError(f"provider {provider!r} has no model list Debrief can read")
        return frozenset().union(*(self._discovery.list_models(endpoint) for endpoint in endpoints))

    # --- the default -----------------------------------------------------------------

    @property
    def default_model(self) -> ModelInfo:
        return self._default()[1]

    @property
    def default_note(self) -> str | None:
        """Why the default is debrief/offline although a provider is configured (its
        endpoint lists nothing Debrief can use); None otherwise."""
        return self._default()[2]

    def _default(self) -> tuple[int, ModelInfo, str | None]:
        chosen = self._chosen_default
        if chosen is None or chosen[0] != self._discovery.version:
            model, note = self._choose_default()
            chosen = self._chosen_default = (self._discovery.version, model, note)
        return chosen

    def _choose_default(self) -> tuple[ModelInfo, str | None]:
        """DEBRIEF_ANALYSIS_MODEL, then the default_model setting, then the first
        provider default that is usable — with live discovery, one its endpoint
        lists; else the cheapest priced model that endpoint lists — then debrief/offline."""
        named = self._named_default
        if isinstance(named, str):  # a name only an endpoint's list may hold
            model = self._listed_models().get(named)
            if model is not None:
                return model, None
            return self._models[OFFLINE_MODEL_NAME], f"the default is {OFFLINE_MODEL_NAME}: no endpoint lists {named}"
        if named is not None:
            return named, None
        live = self.config.live_discovery
        unlisted: list[str] = []
        for model in self._provider_defaults:
            if not self.availability(model, live=False).available:
                continue
            availability = self.availability(model, live=live)
            if availability.available:
                return model, None
            listed = self._cheapest_listed(model.provider)
            if listed is not None:
                return listed, None
            endpoint = self._endpoint(model)  # not None: only an endpoint's list makes a credentialed model unavailable
            where = endpoint.models_url if endpoint else model.provider
            unlisted.append(f"{where} lists neither {model.api_model_id} nor another model Debrief can use")
        note = None
        if unlisted:
            note = f"the default is {OFFLINE_MODEL_NAME}: " + "; ".join(unlisted)
        return self._models[OFFLINE_MODEL_NAME], note

    def _cheapest_listed(self, provider: str) -> ModelInfo | None:
        """The provider's cheapest priced model its endpoint lists; else the first
        unpriced one it lists (a self-hosted server's own models)."""
        listed = [
            model
            for model in self.all(provider=provider, live=True)
            if self.availability(model, live=True).listed_live
        ]
        priced = [model for model in listed if model.price_known and model.api != "offline"]
        if priced:
            return min(priced, key=lambda m: (m.input_usd_per_token + m.output_usd_per_token, m.name))
        return listed[0] if listed else None

    # --- models only an endpoint's list names -------------------------------------------

    def _listed_models(self) -> dict[str, ModelInfo]:
        """name -> model for the ids an OpenAI-compatible endpoint with its own base URL
        lists that no known model has: custom models, price unknown. Rebuilt when a
        listing changes; an endpoint whose list cannot be read adds none."""
        cached = self._listed
        if cached is not None and cached[0] == self._discovery.version:
            return cached[1]
        found: dict[str, ModelInfo] = {}
        for endpoint, (provider, key_env, known_ids) in self._own_openai_endpoints().items():
            try:
                listing = self._discovery.list_models(endpoint)
            except DiscoveryError:
                continue
            unknown = [model_id for model_id in sorted(listing) if model_id not in known_ids and usable_id(model_id)]
            for model_id in unknown[:MAX_LISTED_MODELS_PER_ENDPOINT]:
                name = model_id
                if name in self._models or name in self._aliases or name in found:
                    name = f"{provider}/{model_id}"  # a listed id that is another model's name
                if name in self._models or name in self._aliases or name in found:
                    continue
                # Custom models, so the allowlist keeps them, as it keeps the models file's.
                found[name] = listed_model(name, model_id, provider, endpoint.base_url, key_env, self.config.custom_tokenizer)
        self._listed = (self._discovery.version, found)
        return found

    def _own_openai_endpoints(self) -> dict[Endpoint, tuple[str, str | None, set[str]]]:
        """OpenAI-compatible endpoints at a configured base URL (not a provider's
        public one) whose credentials are set -> (provider, key variable, ids of the
        known models it serves)."""
        endpoints: dict[Endpoint, tuple[str, str | None, set[str]]] = {}
        for model in self._sorted:
            if model.api_base is None:
                continue
            spec = provider_spec(model.provider)
            if model.custom:
                key_env = model.api_key_env
            elif spec.discovery == "openai" and model.api_base != spec.default_base_url:
                key_env = spec.api_key_env
            else:
                continue
            endpoint = self._endpoint(model)
            if endpoint is None:
                continue
            if endpoint not in endpoints:
                if not self.availability(model, live=False).available:
                    continue
                # litellm's models the allowlist left out are known too: never offered back as custom ones.
                known = set() if model.custom else set(_catalog_ids(model.provider))
                endpoints[endpoint] = (model.provider, key_env, known)
            endpoints[endpoint][2].add(model.api_model_id)
        return endpoints

    # --- advice and shapes -----------------------------------------------------------

    def recommend(self, estimate: Estimate) -> Recommendation:
        """Remembered like all(available=True), on which it depends, for the last
        MAX_REMEMBERED_RECOMMENDATIONS estimates."""
        memo = self._recommended.get(estimate)
        if memo is not None and memo[0] == self._discovery.version and self._discovery.clock() < memo[1]:
            return memo[2]
        advice = recommend(estimate, self.all(available=True), self.default_model.name, self.config.cost_warning_usd)
        with _memo_lock:
            self._recommended[estimate] = (self._discovery.version, self._discovery.fresh_until(), advice)
            while len(self._recommended) > MAX_REMEMBERED_RECOMMENDATIONS:
                self._recommended.popitem(last=False)
        return advice

    def describe(self, model: ModelInfo | str, live: bool | None = None) -> dict[str, Any]:
        model = self._resolve(model)
        return model_to_dict(model, self.availability(model, live=live), model.name == self.default_model.name)

    # --- internals ---------------------------------------------------------------------

    def _resolve(self, model: ModelInfo | str) -> ModelInfo:
        return self.get(model) if isinstance(model, str) else model

    def _configured_endpoints(self) -> set[Endpoint]:
        """The endpoints of models whose credentials are set (one per provider, or per custom base URL)."""
        endpoints: set[Endpoint] = set()
        seen_providers: set[str] = set()
        for model in self._sorted:
            key = model.api_base if model.custom else model.provider
            if key in seen_providers:
                continue
            seen_providers.add(key)
            endpoint = self._endpoint(model)
            if endpoint is not None and self.availability(model, live=False).available:
                endpoints.add(endpoint)
        return endpoints

    def _endpoint(self, model: ModelInfo) -> Endpoint | None:
        if model.custom:
            return Endpoint(model.api_base or "", "openai", self._secret(model.api_key_env))
        spec = provider_spec(model.provider)
        base_url = model.api_base or spec.default_base_url
        if spec.discovery is None or base_url is None:
            return None
        return Endpoint(base_url, spec.discovery, self._secret(spec.api_key_env))

    def _secret(self, env_name: str | None) -> str | None:
        return self.config.env_value(env_name) if env_name else None

    def _suggestions(self, name: str) -> tuple[str, ...]:
        # The same model under another provider prefix first ("claude-sonnet-4-5" ->
        # "anthropic/claude-sonnet-4-5"), then names that merely look alike.
        same_id = [model.name for model in self._sorted if model.api_model_id == name.split("/")[-1]]
        alike = difflib.get_close_matches(name, list(self._models), n=MAX_SUGGESTIONS, cutoff=SUGGESTION_CUTOFF)
        return tuple(dict.fromkeys(same_id + alike))[:MAX_SUGGESTIONS]

    def _named_default_model(self) -> ModelInfo | str | None:
        """DEBRIEF_ANALYSIS_MODEL, then the default_model setting; None when neither is
        set. A name no known model has is kept as a name when an OpenAI-compatible
        endpoint of our own may list it (looked up once its list is read)."""
        for source, name in (
            (DEFAULT_MODEL_ENV, self.config.env_value(DEFAULT_MODEL_ENV)),
            ("the default_model setting", self.config.default_model),
        ):
            if not name:
                continue
            if self.config.live_discovery and self._known(name) is None and self._own_openai_endpoints():
                return name
            return self._configured(name, source)
        return None

    def _known(self, name: str) -> ModelInfo | None:
        """A model the catalog, the models file or debrief/offline defines (no endpoint is asked)."""
        return self._models.get(name) or self._aliases.get(name) or self._casefolded.get(name.casefold())

    def _provider_default_models(self) -> list[ModelInfo]:
        return [
            model
            for provider, name in self.config.provider_defaults.items()
            if (model := self._configured(name, f"provider_defaults[{provider!r}]", skip_not_allowed=True))
        ]

    def _configured(self, name: str, source: str, skip_not_allowed: bool = False) -> ModelInfo | None:
        """A configured name, looked up without asking any endpoint."""
        model = self._known(name)
        if model is not None:
            return model
        error = UnknownModel(name, self._suggestions(name), not_allowed=name in _catalog_names())
        if skip_not_allowed and error.not_allowed:
            return None
        raise ConfigError(f"{source}: {error}")


def _offered_models(config: RegistryConfig) -> list[ModelInfo]:
    allowed = _allowlist_matcher(config.allowlist)
    catalog = [model for model in litellm_catalog() if allowed(model)]
    base_urls = {
        provider: url.rstrip("/")
        for provider in {model.provider for model in catalog}
        if (url := config.env_value(provider_spec(provider).base_url_env) or config.base_urls.get(provider))
    }
    catalog = [
        replace(model, api_base=base_urls[model.provider]) if model.provider in base_urls else model
        for model in catalog
    ]
    return [OFFLINE_MODEL, *catalog, *_custom_models(config)]


def _custom_models(config: RegistryConfig) -> tuple[ModelInfo, ...]:
    path = config.effective_models_file
    if path is None:
        return ()
    models = _load_custom_models(path, _file_version(path), config.custom_tokenizer)
    taken = _catalog_names() | {OFFLINE_MODEL_NAME}
    for index, model in enumerate(models):
        if model.name in taken:
            problem = f"{model.name!r} is already a built-in model; choose another name"
            raise ModelsFileError(path, f"models[{index}].name", problem)
    return models


@lru_cache(maxsize=MAX_CACHED_REGISTRIES)
def _load_custom_models(path: Path, version: Hashable, tokenizer: str) -> tuple[ModelInfo, ...]:
    """Parsed once per file version (`version` is only part of the cache key)."""
    return load_custom_models(path, tokenizer)


def _file_version(path: Path) -> Hashable:
    try:
        stat = path.stat()
    except OSError:
        return None  # the loader reports the missing file, naming it
    return (stat.st_mtime_ns, stat.st_size)


def _allowlist_matcher(patterns: tuple[str, ...]) -> Callable[[ModelInfo], bool]:
    if not patterns:
        return lambda model: True
    # One regex for all globs: ~2,700 models x N patterns stays one pass each.
    match = re.compile("|".join(fnmatch.translate(pattern) for pattern in patterns)).match
    return lambda model: bool(match(model.name) or match(model.litellm_model))


@cache
def _catalog_ids(provider: str) -> frozenset[str]:
    """The ids litellm knows for `provider`'s own API, allowlist or not."""
    return frozenset(model.api_model_id for model in litellm_catalog() if model.provider == provider)


@cache
def _catalog_names() -> frozenset[str]:
    return frozenset(name for model in litellm_catalog() for name in (model.name, model.litellm_model))


def _unique_by(models: Iterable[ModelInfo], key: Callable[[ModelInfo], str]) -> dict[str, ModelInfo]:
    """Index by `key`, dropping keys that two models share (an ambiguous lookup is no lookup)."""
    index: dict[str, ModelInfo | None] = {}
    for model in models:
        index[key(model)] = None if key(model) in index else model
    return {k: model for k, model in index.items() if model is not None}


def _memo_key(config: RegistryConfig, clock: Clock) -> Hashable:
    path = config.effective_models_file
    return (
        tuple(sorted(config.env.items())),
        config.allowlist,
        config.default_model,
        tuple(config.provider_defaults.items()),
        path,
        _file_version(path) if path else None,
        tuple(sorted(config.base_urls.items())),
        config.cost_warning_usd,
        config.discovery_ttl_seconds,
        config.custom_tokenizer,
        config.live_discovery,
        clock,
    )


_memo: OrderedDict[Hashable, Registry] = OrderedDict()
_memo_lock = threading.Lock()
