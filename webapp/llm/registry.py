"""The process's model registry and token counter, shaped by Django settings.

`Registry.build` keeps one registry per distinct configuration (environment and
models file included), so calling `get_registry()` on every request costs a
dictionary lookup and still follows a settings override in tests. Endpoint model
listings (live discovery) and token counts
go to Django's cache, shared by every web and worker process, so a run counted
once is never counted again."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from analysis.registry import Registry, RegistryConfig
from analysis.llm.token_counter import TokenCounter


LISTING_CACHE_SETTING = "DEBRIEF_MODEL_DISCOVERY"  # False turns live discovery off (default: on)


class DjangoListingCache:
    """`analysis.registry.discovery.ListingCache` on Django's cache: one listing per
    endpoint and TTL for every web and worker process."""

    def get(self, key: str):
        return cache.get(key)

    def set(self, key: str, value: list[str], timeout: float) -> None:
        cache.set(key, value, timeout=timeout)


LISTING_CACHE = DjangoListingCache()  # one object: the registry's build cache keys on it


def registry_config() -> RegistryConfig:
    return RegistryConfig(
        allowlist=tuple(settings.DEBRIEF_MODEL_ALLOWLIST),
        default_model=settings.DEBRIEF_ANALYSIS_MODEL,
        models_file=settings.DEBRIEF_MODELS_FILE,
        base_urls=dict(settings.DEBRIEF_MODEL_BASE_URLS),
        cost_warning_usd=settings.DEBRIEF_COST_WARNING_USD,
        discovery_ttl_seconds=float(settings.DEBRIEF_MODEL_DISCOVERY_TTL_SECONDS),
        # Endpoints are asked which models they serve: a model they do not list is refused.
        live_discovery=bool(getattr(settings, LISTING_CACHE_SETTING, True)),
    )


def get_registry() -> Registry:
    return Registry.build(registry_config(), listing_cache=LISTING_CACHE)


class DjangoTokenCache:
    """`analysis.llm.token_counter.TokenCache` on Django's cache, with the counts' own lifetime
    (the default cache timeout of minutes would make previews cold again)."""

    def get(self, key: str) -> int | None:
        return cache.get(key)

    def set(self, key: str, value: int) -> None:
        cache.set(key, value, timeout=settings.DEBRIEF_TOKEN_COUNT_CACHE_SECONDS)


def token_counter() -> TokenCounter:
    return TokenCounter(DjangoTokenCache())
