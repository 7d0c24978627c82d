"""Opaque compaction items. The real ones are encrypted; the fake's are base64 of a
marker, the number of tokens the item stands for, and random padding, so that a
later request can be billed for them and a mangled item is detected."""

from __future__ import annotations

import base64
import json
import os
import secrets

MARKER = b"FAKECMP1"
PADDING_BYTES = 48


class InvalidCompactionItem(ValueError):
    pass


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def make_item(tokens: int, model: str) -> dict:
    payload = json.dumps({"tokens": tokens, "model": model}).encode()
    blob = MARKER + len(payload).to_bytes(2, "big") + payload + os.urandom(PADDING_BYTES)
    return {"type": "compaction", "id": new_id("cmp"), "encrypted_content": base64.b64encode(blob).decode("ascii")}


def hidden_tokens(item: dict) -> int:
    try:
        blob = base64.b64decode(item["encrypted_content"], validate=True)
        if not blob.startswith(MARKER):
            raise ValueError("unknown marker")
        size = int.from_bytes(blob[len(MARKER) : len(MARKER) + 2], "big")
        start = len(MARKER) + 2
        return int(json.loads(blob[start : start + size])["tokens"])
    except (KeyError, TypeError, ValueError) as error:
        message = f"The encrypted content of item {item.get('id')!r} could not be verified."
        raise InvalidCompactionItem(message) from error
