"""Token counting as the real API bills it, with the tokenizers litellm bundles
(offline). Deliberately independent of analysis/llm/tokens.py: the fake is the
referee for Debrief's own estimates, so it must not share their code."""

from __future__ import annotations

import json
import math
from typing import Any

from analysis.llm.litellm_env import get_litellm
from tests.fakeopenai import compaction


def count_text(model: str, text: str) -> int:
    return get_litellm().token_counter(model=model, text=text) if text else 0


def count_messages(model: str, messages: list[dict[str, Any]]) -> int:
    return get_litellm().token_counter(model=model, messages=messages) if messages else 0


# One token of four characters: litellm counts long text in 1,024-character slices,
# and slices that never split a word keep the count exact.
FILLER_TOKEN = " the"


def filler_text(model: str, tokens: int) -> str:
    """Text of exactly `tokens` tokens, so a test can predict what the fake bills."""
    text = FILLER_TOKEN * max(tokens, 0)
    assert count_text(model, text) == tokens, "the filler word is not one token for this tokenizer"
    return text


def output_allowance(ratio: float, input_tokens: int, cap: int | None) -> int:
    wanted = max(1, math.ceil(ratio * input_tokens))
    return min(wanted, cap) if cap else wanted


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def format_message(structured_format: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A structured-output format is billed as input, as OpenAI does: the schema reaches
    the model as one more system message (here: its compact JSON with sorted keys,
    without the `type` wrapper, so both APIs bill the same schema the same)."""
    if not structured_format or structured_format.get("type", "json_schema") != "json_schema":
        return []
    payload = {key: value for key, value in structured_format.items() if key != "type"}
    return [{"role": "system", "content": json.dumps(payload, sort_keys=True, separators=(",", ":"))}]


def responses_input_tokens(model: str, instructions: str | None, input_value: Any,
                           text_format: dict[str, Any] | None = None) -> int:
    """Instructions count as a system message, the structured-output format as another,
    messages as chat messages (with their framing), tool items by their text, and a
    compaction item by the size of what it stands for."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": instructions}] if instructions else []
    messages += format_message(text_format)
    hidden = 0
    items = [{"role": "user", "content": input_value}] if isinstance(input_value, str) else (input_value or [])
    for item in items:
        kind = item.get("type", "message")
        if kind == "message":
            messages.append({"role": item.get("role", "user"), "content": _text_of(item.get("content"))})
        elif kind == "compaction":
            hidden += compaction.hidden_tokens(item)
        elif kind == "function_call":
            messages.append({"role": "assistant", "content": f"{item.get('name')}({item.get('arguments', '')})"})
        elif kind == "function_call_output":
            messages.append({"role": "tool", "content": _text_of(item.get("output"))})
    return count_messages(model, messages) + hidden


def chat_input_tokens(model: str, messages: list[dict[str, Any]], response_format: dict[str, Any] | None = None) -> int:
    counted = [{**message, "content": _text_of(message.get("content"))} for message in messages]
    if response_format and response_format.get("type") == "json_schema":
        counted += format_message(response_format.get("json_schema"))
    return count_messages(model, counted)
