"""Live discovery: which models an endpoint actually serves, from its model list
(`GET /models`). Free (no tokens are spent) and cached per endpoint, since a listing
rarely changes and a page should not wait on a provider every time it renders.

Two cache levels: this process's memory (checked first, so describing thousands of
models costs dictionary reads) and an optional shared cache (Django's, in the web
layer) so that every web and worker process asks an endpoint once per TTL."""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from analysis.registry.errors import DiscoveryError
from analysis.registry.providers import DiscoveryProtocol

DISCOVERY_TIMEOUT_SECONDS = 5.0
# A failed listing is retried after this long, not on every model looked up: a page
# describing 100 models of an unreachable endpoint must not wait 100 time-outs.
DISCOVERY_FAILURE_TTL_SECONDS = 60.0
MAX_LISTING_BYTES = 5 * 1024 * 1024  # a listing is kilobytes; anything this big is not one
ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_PAGE_LIMIT = 1000  # the API's maximum; Anthropic has far fewer models, so one page is all
GEMINI_PAGE_SIZE = 1000  # the API's maximum page size
LISTING_CACHE_PREFIX = "debrief:listing:v1"
# Anthropic lists dated ids ("claude-sonnet-4-5-20250929") and serves undated aliases
# ("claude-sonnet-4-5", "claude-3-5-sonnet-latest") for them.
_DATED_SUFFIX = re.compile(r"-\d{8}$")


class ListingCache(Protocol):
    """A shared store (Django's cache fits): None when absent."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: list[str], timeout: float) -> None: ...


@dataclass(frozen=True)
class Endpoint:
    base_url: str
    protocol: DiscoveryProtocol
    api_key: str | None = field(default=None, repr=False)  # kept out of logs and tracebacks

    @property
    def models_url(self) -> str:
        base = self.base_url.rstrip("/")
        if self.protocol == "anthropic":
            return f"{base}/v1/models?limit={ANTHROPIC_PAGE_LIMIT}"
        if self.protocol == "gemini":
            return f"{base}/v1beta/models?pageSize={GEMINI_PAGE_SIZE}"
        return f"{base}/models"

    @property
    def cache_key(self) -> str:
        # The key is hashed in: two keys may see different models, and a key never goes into a cache key.
        identity = "\0".join((self.protocol, self.base_url, self.api_key or ""))
        return f"{LISTING_CACHE_PREFIX}:{hashlib.sha256(identity.encode()).hexdigest()}"

    def request(self) -> urllib.request.Request:
        if self.protocol == "anthropic":
            headers = {"anthropic-version": ANTHROPIC_VERSION}
            if self.api_key:
                headers["x-api-key"] = self.api_key
        elif self.protocol == "gemini":
            headers = {"x-goog-api-key": self.api_key} if self.api_key else {}
        else:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return urllib.request.Request(self.models_url, headers=headers)

    def lists(self, model_id: str, listing: frozenset[str]) -> bool:
        if model_id in listing:
            return True
        if self.protocol == "anthropic":
            alias = model_id.removesuffix("-latest")
            return any(_DATED_SUFFIX.sub("", listed) == alias for listed in listing)
        return False


@dataclass(frozen=True)
class _Failed:
    """A listing that could not be fetched: its message only. Holding the exception
    and raising it again on every request appended each request's frames (and their
    locals: the request, its rows) to its traceback: a leak that grew the heap and each
    full garbage collection with every preview."""

    message: str


class ModelDiscovery:
    """Listings cached for `ttl_seconds` per endpoint; failures for
    DISCOVERY_FAILURE_TTL_SECONDS (at most the TTL), and `refresh=True` asks again."""

    def __init__(
        self,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        shared: ListingCache | None = None,
        fetch: Callable[[Endpoint], frozenset[str]] | None = None,
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._listings: dict[Endpoint, tuple[float, frozenset[str] | _Failed]] = {}
        self.shared = shared
        self._fetch = fetch or fetch_listing
        self.version = 0  # changes whenever what is known about an endpoint changes

    def clock(self) -> float:
        return self._clock()

    def fresh_until(self) -> float:
        """When the first listing held now is due to be asked again (infinity with
        none held: then nothing was asked, and nothing will be until asked)."""
        with self._lock:
            held = list(self._listings.values())
        return min((at + self._ttl_of(value) for at, value in held), default=math.inf)

    def _ttl_of(self, value: frozenset[str] | _Failed) -> float:
        return min(self._ttl, DISCOVERY_FAILURE_TTL_SECONDS) if isinstance(value, _Failed) else self._ttl

    def list_models(self, endpoint: Endpoint, refresh: bool = False) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._listings.get(endpoint)
        if cached is not None and not refresh:
            at, value = cached
            if now - at < self._ttl_of(value):
                if isinstance(value, _Failed):
                    raise DiscoveryError(value.message)  # a new one each time: see _Failed
                return value
        shared = None if refresh or self.shared is None else self.shared.get(endpoint.cache_key)
        if shared is not None:
            listing = frozenset(shared)
        else:
            try:
                listing = self._fetch(endpoint)
            except DiscoveryError as error:
                self._remember(endpoint, now, _Failed(str(error)))
                raise
            if self.shared is not None and self._ttl > 0:
                self.shared.set(endpoint.cache_key, sorted(listing), self._ttl)
        self._remember(endpoint, now, listing)
        return listing

    def _remember(self, endpoint: Endpoint, now: float, value: frozenset[str] | _Failed) -> None:
        with self._lock:
            previous = self._listings.get(endpoint)
            self._listings[endpoint] = (now, value)
            if previous is None or previous[1] != value:
                self.version += 1


def fetch_listing(endpoint: Endpoint) -> frozenset[str]:
    where = endpoint.models_url
    try:
        with urllib.request.urlopen(endpoint.request(), timeout=DISCOVERY_TIMEOUT_SECONDS) as response:
            body = response.read(MAX_LISTING_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise DiscoveryError(f"{where} answered HTTP {error.code}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DiscoveryError(f"could not reach {where}: {reason}") from error
    if len(body) > MAX_LISTING_BYTES:
        raise DiscoveryError(f"{where} returned more than {MAX_LISTING_BYTES} bytes")
    try:
        if endpoint.protocol == "gemini":
            return frozenset(str(item["name"]).removeprefix("models/") for item in json.loads(body)["models"])
        return frozenset(str(item["id"]) for item in json.loads(body)["data"])
    except (ValueError, KeyError, TypeError) as error:
        shape = "{'models': [{'name': ...}]}" if endpoint.protocol == "gemini" else "{'data': [{'id': ...}]}"
        raise DiscoveryError(f"{where} did not return a model list ({shape})") from error
