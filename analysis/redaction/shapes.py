"""What a value looks like: random enough to be a credential, or a plain word."""

from __future__ import annotations

import re

# A hex run this long is a key or a digest; under a secret-like name it is redacted.
MIN_RANDOM_HEX_CHARS = 32
# Base64 / base64url values this long with upper case, lower case and digits,
# and this many distinct characters, look random.
MIN_RANDOM_BASE64_CHARS = 20
MIN_RANDOM_DISTINCT_CHARS = 10
# A "Bearer" or URL user name made only of letters, capitalised at most at the
# start and no longer than this, is prose ("Bearer tokens", "Bearer Authentication").
MAX_WORD_CHARS = 24

_HEX = re.compile(rb"[0-9A-Fa-f]+")
_BASE64 = re.compile(rb"[A-Za-z0-9+/_\-]+=*")
_WORD = re.compile(rb"[A-Za-z][a-z]*")


def looks_random(value: bytes) -> bool:
    """Whether a value looks like a generated credential: a long hex run with
    digits and letters, or base64 with upper case, lower case and digits.
    UUIDs, hashes with dashes, model names and numbers do not."""
    if len(value) >= MIN_RANDOM_HEX_CHARS and _HEX.fullmatch(value):
        return not value.isdigit() and not value.isalpha()  # digits and letters both
    if len(value) < MIN_RANDOM_BASE64_CHARS or not _BASE64.fullmatch(value):
        return False
    return (
        any(65 <= byte <= 90 for byte in value)
        and any(97 <= byte <= 122 for byte in value)
        and any(48 <= byte <= 57 for byte in value)
        and len(set(value)) >= MIN_RANDOM_DISTINCT_CHARS
    )


def looks_like_word(value: bytes) -> bool:
    """Whether a value is a plain word: letters only, capitalised at most at
    the start, at most MAX_WORD_CHARS long."""
    return len(value) <= MAX_WORD_CHARS and _WORD.fullmatch(value) is not None
