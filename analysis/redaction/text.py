"""Scrubbing strings and bytes held in memory."""

from __future__ import annotations

from analysis.redaction.engine import holds_anchor, redact

# scrub_excerpt scrubs at least this much beyond what it keeps, so that a key
# that starts in the kept part is whole in what is scrubbed even for short limits.
EXCERPT_MARGIN_CHARS = 1024


def scrub_bytes(data: bytes, keep_length: bool = False) -> bytes:
    """The bytes with every secret redacted: `[REDACTED]` in place of each, or
    with keep_length, "[REDACTED]***" of the secret's own length."""
    if not data:
        return data
    return redact(data, keep_length)


def scrub_text(text: str) -> str:
    """The text with every secret-looking value replaced by `[REDACTED]`."""
    if not text:
        return text
    # surrogatepass: a str may hold lone surrogates (from surrogateescape or
    # JSON "\udc80"); they go through unchanged both ways.
    data = text.encode("utf-8", "surrogatepass")
    scrubbed = redact(data)
    return text if scrubbed is data else scrubbed.decode("utf-8", "surrogatepass")


def scrub_excerpt(text: str, limit: int) -> str:
    """The first `limit` characters of the scrubbed text, scrubbing only about
    twice that much: a secret that starts in the kept part and is shorter than
    the margin lies wholly inside the window, and a huge text costs no more
    than a short one."""
    return scrub_text(text[: limit + max(limit, EXCERPT_MARGIN_CHARS)])[:limit]


def may_hold_secret(lowered: bytes) -> bool:
    """Whether scrubbing could change these bytes (any case: the name is kept
    from when callers lower-cased the line first). Exact for "no": a False
    means scrubbing changes nothing."""
    return holds_anchor(lowered)
