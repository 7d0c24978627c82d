"""Secret scrubbing: the one place that decides what is a secret.

Everything the MassGen reader hands out goes through `scrub` (structures) or
`scrub_text` (strings). MassGen writes the whole raw config into
`execution_metadata.yaml` (inline API keys included) and only redacts its event
streams from about 0.1.80, so secrets can appear as config values, as
`KEY=value` text inside logs and tool arguments, or as bare key-shaped tokens.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any

REDACTED = "[REDACTED]"

# Beyond this nesting depth a structure is replaced wholesale: walking it would
# risk RecursionError, and no real MassGen file nests anywhere near this deep.
MAX_SCRUB_DEPTH = 200

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

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEGMENT_SPLIT = re.compile(r"[^A-Za-z0-9]+")

# Key-shaped values, wherever they appear. Lengths are lower bounds chosen so
# that prose ("sk-learn", "Bearer tokens") survives.
_VALUE_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{16,}"),  # OpenAI, Anthropic (sk-ant-...), DeepSeek, ...
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),  # Google
    re.compile(r"\bxai-[A-Za-z0-9_\-]{20,}"),  # xAI
    re.compile(r"\bgsk_[A-Za-z0-9]{30,}"),  # Groq
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}"),
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),  # Hugging Face
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bBearer\s+(?=[A-Za-z0-9._~+/=\-]*\d)[A-Za-z0-9._~+/=\-]{12,}", re.IGNORECASE),
)

# `name: value`, `name=value`, `"name": "value"` inside free text; the name is
# then judged by the same rule as a structured key. A name starts only where an
# identifier starts: otherwise a long run of letters is retried at every
# position and scrubbing turns quadratic.
_ASSIGNMENT = re.compile(
    r"""(?<![A-Za-z0-9_.\-])(?P<key>[A-Za-z_][A-Za-z0-9_.\-]{0,80})(?P<sep>["']?\s*[:=]\s*)"""
    # An already-redacted value is left alone (scrubbing twice changes nothing),
    # and so is the second `=` of `token == x`.
    r"""(?P<value>(?!\[REDACTED\]|=)(?:"[^"\n]*"|'[^'\n]*'|[^\s"',;}\])]+))"""
)


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


def _redact_assignment(match: re.Match[str]) -> str:
    if not is_secret_key(match.group("key")):
        return match.group(0)
    value = match.group("value")
    if value[:1] in "\"'" and len(value) >= 2:
        value = f"{value[0]}{REDACTED}{value[-1]}"
    else:
        value = REDACTED
    return f"{match.group('key')}{match.group('sep')}{value}"


def scrub_text(text: str) -> str:
    """The text with every secret-looking value replaced by `[REDACTED]`."""
    if not text:
        return text
    for pattern in _VALUE_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _ASSIGNMENT.sub(_redact_assignment, text)


def scrub_excerpt(text: str, limit: int) -> str:
    """The first `limit` characters of the scrubbed text, scrubbing only twice
    that much: a secret that starts in the kept part and is shorter than it
    lies wholly inside the window, and a huge text costs no more than a short one."""
    return scrub_text(text[: 2 * limit])[:limit]


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


def _scrub(value: Any, depth: int) -> Any:
    if depth > MAX_SCRUB_DEPTH:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {
            key: _redact_all(item, depth + 1) if isinstance(key, str) and is_secret_key(key) else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, depth + 1) for item in value]
    if isinstance(value, tuple):
        return tuple(_scrub(item, depth + 1) for item in value)
    return value


def scrub(obj: Any) -> Any:
    """A copy of a nested dict/list/str structure with secrets redacted.

    Values under credential-named keys are redacted whatever they look like;
    every other string is passed through `scrub_text`."""
    return _scrub(obj, 0)


# A line can hold something `scrub_text` would change only if it contains one of
# these (in ASCII lower case); most lines of a big event stream contain none and
# are copied untouched, which keeps scrubbing a whole run close to copying it.
# Plain substring tests: an alternation regex over every byte is ten times slower.
_SECRET_MARKERS = (
    b"sk-", b"aiza", b"xai-", b"gsk_", b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_", b"hf_", b"akia",
    b"bearer", b"secret", b"passw", b"passphrase", b"pwd", b"credential", b"authoriz", b"cookie",
)
_KEY_NAME = re.compile(rb"(?:api|private|access)[^a-z0-9]*key")
_TOKEN_ASSIGNMENT = re.compile(rb"token[\"']?\s*[:=]")


def may_hold_secret(lowered: bytes) -> bool:
    """Whether `scrub_text` could change this ASCII-lower-cased line."""
    return (
        any(marker in lowered for marker in _SECRET_MARKERS)
        or (b"key" in lowered and _KEY_NAME.search(lowered) is not None)
        or (b"token" in lowered and _TOKEN_ASSIGNMENT.search(lowered) is not None)
    )


# Lines are read in pieces of at most this many bytes so that a file of one huge
# line does not have to fit in memory; a secret cut by a piece boundary is still
# caught by the key-shaped patterns unless the cut falls inside it.
SCRUB_FILE_PIECE_BYTES = 4 * 1024 * 1024
# Files that start with a NUL byte in this many bytes are binary and left alone.
BINARY_SNIFF_BYTES = 8192


def scrub_file(path) -> bool:
    """Rewrite a text file in place with its secrets redacted, line by line in
    bounded memory. Returns whether anything changed; binary files are skipped."""
    with open(path, "rb") as source:
        if b"\0" in source.read(BINARY_SNIFF_BYTES):
            return False
        source.seek(0)
        directory = os.path.dirname(os.path.abspath(path))
        changed = False
        with tempfile.NamedTemporaryFile("wb", dir=directory, prefix=".scrub-", delete=False) as target:
            try:
                while piece := source.readline(SCRUB_FILE_PIECE_BYTES):
                    if may_hold_secret(piece.lower()):
                        text = piece.decode("utf-8", errors="surrogateescape")
                        scrubbed = scrub_text(text)
                        if scrubbed != text:
                            changed = True
                            piece = scrubbed.encode("utf-8", errors="surrogateescape")
                    target.write(piece)
            except BaseException:
                os.unlink(target.name)
                raise
    if changed:
        os.replace(target.name, path)
    else:
        os.unlink(target.name)
    return changed
