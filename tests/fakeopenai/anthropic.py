"""Anthropic's Messages API (`POST /v1/messages`) as of today, for the Anthropic path
of the client: only today's field names are accepted, like the real API, which
answers anything else with 400 "Extra inputs are not permitted". Structured output
is `output_config.format` (the `output_format` beta alias is gone); the fallback is
a forced tool whose input is the JSON."""

from __future__ import annotations

import json
from typing import Any

from tests.fakeopenai import compaction, tokens

# Top-level fields the Messages API accepts today.
MESSAGES_FIELDS = frozenset(
    {
        "model", "max_tokens", "messages", "system", "output_config", "tools", "tool_choice", "temperature",
        "top_p", "top_k", "stop_sequences", "stream", "metadata", "thinking", "service_tier", "container",
        "mcp_servers", "context_management",
    }
)
OUTPUT_CONFIG_FIELDS = frozenset({"format", "effort"})


class AnthropicError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"type": "error", "error": {"type": "invalid_request_error", "message": str(self)}}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def check(body: dict[str, Any]) -> None:
    for name in body:
        if name not in MESSAGES_FIELDS:
            raise AnthropicError(400, f"{name}: Extra inputs are not permitted")
    for name in body.get("output_config") or {}:
        if name not in OUTPUT_CONFIG_FIELDS:
            raise AnthropicError(400, f"output_config.{name}: Extra inputs are not permitted")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            raise AnthropicError(400, f"{name}: Field required")


def answer(body: dict[str, Any], report: str, input_tokens_of=None) -> dict[str, Any]:
    """The message reply: the report as text (output_config.format), or as a forced
    tool's input (the tool-use fallback); usage counted with the same tokenizer as
    the OpenAI endpoints, the schema or tool definition included."""
    check(body)
    model = body["model"]
    system = body.get("system")
    counted = [{"role": "system", "content": _text_of(system)}] if system else []
    counted += [{"role": m.get("role", "user"), "content": _text_of(m.get("content"))} for m in body["messages"]]
    fmt = (body.get("output_config") or {}).get("format")
    counted += tokens.format_message(fmt)
    forced = (body.get("tool_choice") or {}).get("name") if (body.get("tool_choice") or {}).get("type") == "tool" else None
    for tool in body.get("tools") or []:
        counted += [{"role": "system", "content": json.dumps(tool, sort_keys=True, separators=(",", ":"))}]
    if forced:
        content = [{"type": "tool_use", "id": compaction.new_id("toolu"), "name": forced, "input": json.loads(report)}]
        stop = "tool_use"
    else:
        content = [{"type": "text", "text": report}]
        stop = "end_turn"
    input_tokens = tokens.count_messages("gpt-4", counted)
    return {
        "id": compaction.new_id("msg"),
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": tokens.count_text("gpt-4", report)},
    }
