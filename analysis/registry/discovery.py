"""Live discovery: which models an endpoint actually serves, from its `GET /models`.
Free (no tokens are spent) and cached per endpoint, since a listing rarely changes
and a page should not wait on a provider every time it renders."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from analysis.registry.errors import DiscoveryError
from analysis.registry.providers import DiscoveryProtocol

DISCOVERY_TIMEOUT_SECONDS = 5.0
MAX_LISTING_BYTES = 5 * 1024 * 1024  # a listing is kilobytes; anything this big is not one
ANTHROPIC_VERSION = "2023-06-01"
ANTHROPIC_PAGE_LIMIT = 1000  # the API's maximum; Anthropic has far fewer models, so one page is all


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
        return f"{base}/models"

    def request(self) -> urllib.request.Request:
        if self.protocol == "anthropic":
            headers = {"anthropic-version": ANTHROPIC_VERSION}
            if self.api_key:
                headers["x-api-key"] = self.api_key
        else:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        return urllib.request.Request(self.models_url, headers=headers)


class ModelDiscovery:
    """Listings cached for `ttl_seconds` per endpoint; failures are not cached, so a
    fixed endpoint is seen at once."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._listings: dict[Endpoint, tuple[float, frozenset[str]]] = {}

    def list_models(self, endpoint: Endpoint) -> frozenset[str]:
        now = self._clock()
        with self._lock:
            cached = self._listings.get(endpoint)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        listing = _fetch(endpoint)
        with self._lock:
            self._listings[endpoint] = (now, listing)
        return listing


def _fetch(endpoint: Endpoint) -> frozenset[str]:
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
        data = json.loads(body)["data"]
        return frozenset(str(item["id"]) for item in data)
    except (ValueError, KeyError, TypeError) as error:
        raise DiscoveryError(f"{where} did not return a model list ({{'data': [{{'id': ...}}]}})") from error
