"""Which names mark a credential: mapping keys, `NAME=` in text, header names."""

from __future__ import annotations

import re
from functools import lru_cache

# Key segments that mark a credential wherever they appear in a key name.
_SECRET_SEGMENTS = frozenset(
    {
        "apikey",
        "secret",
        "secrets",
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "credential",
        "credentials",
        "authorization",
        "cookie",
    }
)
# Adjacent segment pairs that mark a credential: api_key, private_key, ...
_SECRET_PAIRS = frozenset({("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key")})
# "token" is a credential only as the last segment (access_token, hf_token) or
# as the whole key; token *counts* (max_tokens, input_tokens) and token
# metadata (token_usage, token_source) are not secrets.
_TOKEN_SEGMENT = "token"
# Segments of names that often, but not always, hold a credential ("key",
# "cache_key", "auth", "X-Amz-Signature", "sig" of a SAS URL): under them only a
# value that looks random (see shapes.looks_random) is redacted, so `"key": "model"`
# and token metadata stay readable.
_SECRET_LIKE_SEGMENTS = frozenset({"key", "keys", "auth", "signature", "sig", "hmac"})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEGMENT_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def _segments(key: str) -> list[str]:
    spaced = _CAMEL_BOUNDARY.sub("_", key)
    return [part for part in _SEGMENT_SPLIT.split(spaced.lower()) if part]


def is_secret_key(key: str) -> bool:
    """True when a mapping key (or `KEY=` name) names a credential."""
    parts = _segments(key)
    if not parts:
        return False
    if any(part in _SECRET_SEGMENTS for part in parts):
        return True
    if any(pair in _SECRET_PAIRS for pair in zip(parts, parts[1:])):
        return True
    return parts[-1] == _TOKEN_SEGMENT


def is_secret_like_key(key: str) -> bool:
    """True when a key may name a credential: its value is redacted if it looks
    random. Every secret key is secret-like."""
    return is_secret_key(key) or any(part in _SECRET_LIKE_SEGMENTS for part in _segments(key))


# Names repeat endlessly in a log ("input_tokens", "api_key"): judge each once.
@lru_cache(maxsize=8192)
def judge_name(key: str) -> tuple[bool, bool]:
    """(secret, secret-like) for a name."""
    secret = is_secret_key(key)
    return secret, secret or is_secret_like_key(key)


def judge_key(key: bytes) -> tuple[bool, bool]:
    """(secret, secret-like) for a name found in text, as ASCII bytes."""
    return judge_name(key.decode("ascii", "replace"))
