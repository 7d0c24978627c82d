"""Client-side token counts of a request, the way the provider bills it: the
instructions as a system message, every input item, each message's framing (the
tokens around a role and its content), and the structured-output schema (OpenAI
bills `text.format` / `response_format` as input: the schema reaches the model as
one more system message). Used to decide whether a
run fits and to price it before it runs. Counting goes through analysis.llm.token_counter, so
the many re-counts of the same request while packing chunks hit its cache."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from analysis.llm.modelinfo import ModelInfo
from analysis.llm.token_counter import TokenCounter

# A compaction item's encrypted content is several times longer than the tokens it
# costs; when we did not see the compaction's usage, this errs on the large side.
ENCRYPTED_CHARS_PER_TOKEN = 4

_COUNTER = TokenCounter()


class RequestTokenCounter(Protocol):
    def __call__(
        self,
        model: ModelInfo,
        instructions: str,
        items: Sequence[Mapping[str, Any]],
        opaque_tokens: Mapping[str, int] | None = None,
        json_schema: Mapping[str, Any] | None = None,
    ) -> int: ...


def schema_message(json_schema: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """The structured-output format (`{"name", "schema", "strict"}`) as the system
    message it is billed as: its JSON, keys sorted and compact, so the same schema
    always counts the same."""
    if not json_schema:
        return []
    return [{"role": "system", "content": json.dumps(json_schema, sort_keys=True, separators=(",", ":"))}]


def count_text_tokens(model: ModelInfo, text: str) -> int:
    return _COUNTER.count_text(model, text)


def count_input_tokens(
    model: ModelInfo,
    instructions: str,
    items: Sequence[Mapping[str, Any]],
    opaque_tokens: Mapping[str, int] | None = None,
    json_schema: Mapping[str, Any] | None = None,
) -> int:
    """`opaque_tokens` maps a compaction item's id to what it costs (the compaction
    call's output tokens); unknown ones are estimated from their length. `json_schema`
    is the structured-output format the call is sent with, if any."""
    messages: list[dict[str, str]] = [{"role": "system", "content": instructions}] if instructions else []
    messages += schema_message(json_schema)
    hidden = 0
    for item in items:
        if item.get("type") == "compaction":
            known = (opaque_tokens or {}).get(str(item.get("id")))
            estimate = len(item.get("encrypted_content", "")) // ENCRYPTED_CHARS_PER_TOKEN
            hidden += known if known is not None else estimate
        else:
            messages.append({"role": str(item.get("role", "user")), "content": item_text(item)})
    return _COUNTER.count_messages(model, messages) + hidden


def item_text(item: Mapping[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return ""
