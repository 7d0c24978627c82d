"""Whole-document JSON files that MassGen keeps small (status.json,
metrics_summary.json, vote.json, snapshot_mappings.json). They are loaded in one
piece, but only below a size cap so that a hostile or corrupted file cannot
exhaust memory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from analysis.massgen.errors import RunFormatError

# status.json and metrics_summary.json grow with the number of rounds; real ones
# are tens of kilobytes. Anything past this is not a file MassGen wrote.
MAX_JSON_DOCUMENT_BYTES = 64 * 1024 * 1024


def load_json_document(path: Path, name: str) -> Any:
    """The parsed document; `name` is how errors refer to the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_JSON_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise RunFormatError(name, f"cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_JSON_DOCUMENT_BYTES:
        raise RunFormatError(name, f"is larger than {MAX_JSON_DOCUMENT_BYTES} bytes (MAX_JSON_DOCUMENT_BYTES)")
    if not data.strip():
        raise RunFormatError(name, "is empty")
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise RunFormatError(name, f"is not valid JSON ({exc})") from None


def load_json_object(path: Path, name: str) -> dict[str, Any]:
    document = load_json_document(path, name)
    if not isinstance(document, dict):
        raise RunFormatError(name, f"holds a JSON {type(document).__name__}, not an object")
    return document
