"""Secret scrubbing: the one place that decides what is a secret.

Everything the MassGen reader hands out goes through `scrub` (structures) or
`scrub_text` (strings), and every stored file through `scrub_file`. MassGen
writes the whole raw config into `execution_metadata.yaml` (inline API keys
included) and only redacts its event streams from about 0.1.80, so secrets can
appear as config values, as `KEY=value` text inside logs and (JSON-escaped)
tool arguments, in URLs, headers and PEM blocks, or as bare key-shaped tokens.

The parts: keys.py (which names mark a credential), shapes.py (what looks
random), rules.py (each shape of secret), anchors.py (finding every candidate
in one pass), engine.py (spans and how they are applied), text.py, structures.py,
files.py. This module is the public face."""

from analysis.redaction.files import BINARY_SNIFF_BYTES, PIECE_OVERLAP_BYTES, SCRUB_FILE_PIECE_BYTES, scrub_file
from analysis.redaction.keys import is_secret_key, is_secret_like_key
from analysis.redaction.rules import MAX_REACH
from analysis.redaction.structures import MAX_SCRUB_DEPTH, REDACTED, scrub
from analysis.redaction.text import may_hold_secret, scrub_bytes, scrub_excerpt, scrub_text

__all__ = [
    "BINARY_SNIFF_BYTES",
    "MAX_REACH",
    "MAX_SCRUB_DEPTH",
    "PIECE_OVERLAP_BYTES",
    "REDACTED",
    "SCRUB_FILE_PIECE_BYTES",
    "is_secret_key",
    "is_secret_like_key",
    "may_hold_secret",
    "scrub",
    "scrub_bytes",
    "scrub_excerpt",
    "scrub_file",
    "scrub_text",
]
