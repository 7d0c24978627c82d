"""Token counts with the chosen model's tokenizer (litellm.token_counter), cached by
(content sha256, tokenizer) so a preview is instant the second time.

The cache is pluggable: anything with `get(key)` and `set(key, value)` fits, Django's
cache included; the default keeps recent counts in this process's memory."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import orjson

from analysis.llm.litellm_env import get_litellm
from analysis.llm.modelinfo import ModelInfo

MEMORY_CACHE_MAX_ENTRIES = 4_096
CACHE_KEY_PREFIX = "debrief:tokens:v1"  # bump when the counting method changes


class TokenCache(Protocol):
    def get(self, key: str) -> Any: ...  # None when absent

    def set(self, key: str, value: int) -> None: ...


class MemoryTokenCache:
    """Least-recently-used, bounded so a long-lived web process does not grow without end."""

    def __init__(self, max_entries: int = MEMORY_CACHE_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> int | None:
        with self._lock:
            count = self._counts.get(key)
            if count is not None:
                self._counts.move_to_end(key)
            return count

    def set(self, key: str, value: int) -> None:
        with self._lock:
            self._counts[key] = value
            self._counts.move_to_end(key)
            while len(self._counts) > self._max_entries:
                self._counts.popitem(last=False)


def tokenizer_of(model: ModelInfo) -> str:
    return model.tokenizer_model or model.litellm_model


def cache_key(content_sha256: str, tokenizer: str) -> str:
    # The tokenizer is hashed too: its name is free text from the models file, and
    # some cache backends reject keys with spaces or over 250 characters.
    tokenizer_digest = hashlib.sha256(tokenizer.encode()).hexdigest()[:16]
    return f"{CACHE_KEY_PREFIX}:{content_sha256}:{tokenizer_digest}"


class TokenCounter:
    def __init__(self, cache: TokenCache | None = None) -> None:
        self.cache: TokenCache = cache if cache is not None else MemoryTokenCache()

    def count_text(self, model: ModelInfo, text: str) -> int:
        if not text:
            return 0
        return self._count(model, b"text\0" + text.encode(), {"text": text})

    def count_messages(self, model: ModelInfo, messages: Sequence[Mapping[str, Any]]) -> int:
        """Chat messages as litellm counts them, per-message framing included."""
        if not messages:
            return 0
        canonical = orjson.dumps(list(messages), option=orjson.OPT_SORT_KEYS)
        return self._count(model, b"messages\0" + canonical, {"messages": list(messages)})

    def _count(self, model: ModelInfo, content: bytes, counter_args: dict[str, Any]) -> int:
        tokenizer = tokenizer_of(model)
        key = cache_key(hashlib.sha256(content).hexdigest(), tokenizer)
        cached = self.cache.get(key)
        if cached is not None:
            return int(cached)
        count = int(get_litellm().token_counter(model=tokenizer, **counter_args))
        self.cache.set(key, count)
        return count
