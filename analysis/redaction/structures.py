"""Scrubbing nested structures: a parsed config, a summary."""

from __future__ import annotations

from typing import Any

from analysis.redaction.keys import judge_name
from analysis.redaction.rules import REDACTED as REDACTED_BYTES
from analysis.redaction.shapes import looks_random
from analysis.redaction.text import scrub_text

REDACTED = REDACTED_BYTES.decode()

# Beyond this nesting depth a structure is replaced wholesale: walking it would
# risk RecursionError, and no real MassGen file nests anywhere near this deep.
MAX_SCRUB_DEPTH = 200


def _redact_all(value: Any, depth: int) -> Any:
    if depth > MAX_SCRUB_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return {key: _redact_all(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact_all(item, depth + 1) for item in value]
    # None and booleans carry no secret and say whether one was configured.
    if value is None or isinstance(value, bool) or value == "":
        return value
    return REDACTED


def _scrub_item(key: Any, item: Any, depth: int, seen: dict[str, str]) -> Any:
    if isinstance(key, str):
        secret, secret_like = judge_name(key)
        if secret:
            return _redact_all(item, depth)
        if secret_like and isinstance(item, str) and looks_random(item.encode("utf-8", "surrogatepass")):
            return REDACTED
    return _scrub(item, depth, seen)


def _scrub(value: Any, depth: int, seen: dict[str, str]) -> Any:
    if depth > MAX_SCRUB_DEPTH:
        return REDACTED
    if isinstance(value, str):
        scrubbed = seen.get(value)
        if scrubbed is None:
            scrubbed = seen[value] = scrub_text(value)
        return scrubbed
    if isinstance(value, dict):
        return {key: _scrub_item(key, item, depth + 1, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, depth + 1, seen) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, depth + 1, seen) for item in value)
    return value


def scrub(obj: Any) -> Any:
    """A copy of a nested dict/list/str structure with secrets redacted.

    Values under credential-named keys are redacted whatever they look like;
    under secret-like keys ("key", "auth", "signature") a string that looks
    random is; every other string is passed through `scrub_text`, once per
    distinct string (a summary repeats agent names, sources and back-off
    notices thousands of times)."""
    return _scrub(obj, 0, {})
