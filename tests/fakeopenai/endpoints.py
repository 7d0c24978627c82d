"""How the fake answers each endpoint: scripted replies first, then checks the real
API makes (authentication, parameters, context length), then a default answer
with usage counted like the real API."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from typing import Any

from tests.fakeopenai import anthropic, compaction, tokens
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from tests.fakeopenai.recording import RecordedRequest
from tests.fakeopenai.replies import Reply, error_body
from tests.fakeopenai.routes import endpoint_for
from tests.fakeopenai.state import FakeConfig, FakeState

# The real compact endpoint refuses anything else with 400 unknown_parameter.
COMPACT_ALLOWED_PARAMETERS = frozenset(
    {"model", "input", "previous_response_id", "instructions", "prompt_cache_key", "service_tier"}
)
# Compact separators, as HTTP clients send: an item echoed back byte for byte is then findable in a request.
COMPACT_JSON = (",", ":")
RESPONSES_INPUT_ITEM_TYPES = frozenset(
    {"message", "compaction", "function_call", "function_call_output", "reasoning", "item_reference"}
)


@dataclass
class Outgoing:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ApiError(Exception):
    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error", code=None, param=None):
        super().__init__(message)
        self.reply = Reply.error(status, message, type=type, code=code, param=param)


def handle(state: FakeState, request: RecordedRequest) -> Outgoing:
    outgoing = _send(_reply_to(state, request))
    state.record(replace(request, reply_status=outgoing.status, reply_raw=outgoing.body))
    return outgoing


def _reply_to(state: FakeState, request: RecordedRequest) -> Reply:
    endpoint = endpoint_for(request.method, request.path)
    if endpoint is None:
        return Reply.error(404, f"Invalid URL ({request.method} {request.path})")
    scripted = state.next_reply(endpoint) or Reply()
    if scripted.body is not None or scripted.raw_body is not None or scripted.status != 200:
        return scripted
    try:
        body = _answer(endpoint, state.config, request, scripted)
    except ApiError as error:
        return error.reply
    headers = dict(scripted.headers)
    if endpoint == "messages":  # Anthropic names every request in a header, which support asks for
        headers.setdefault("request-id", "req_" + body["id"].removeprefix("msg_"))
    return Reply(body=body, headers=headers, delay=scripted.delay)


def _send(reply: Reply) -> Outgoing:
    if reply.raw_body is not None:
        payload = reply.raw_body.encode()
    elif reply.body is not None:
        payload = json.dumps(reply.body, separators=COMPACT_JSON).encode()
    else:
        kind = "server_error" if reply.status >= 500 else "invalid_request_error"
        payload = json.dumps(error_body(f"Scripted error {reply.status}.", type=kind)).encode()
    return Outgoing(reply.status, payload, dict(reply.headers), reply.delay)


def _answer(endpoint: str, config: FakeConfig, request: RecordedRequest, scripted: Reply) -> dict[str, Any]:
    _check_key(config, request)
    if endpoint == "models":
        return {"object": "list", "data": [_model_entry(name) for name in config.models]}
    if endpoint == "messages":
        return _anthropic_messages(config, request, scripted)
    body = request.body
    if not isinstance(body, dict):
        raise ApiError(400, "We could not parse the JSON body of your request.")
    if endpoint == "compact":
        _check_compact_parameters(body)
    elif body.get("stream"):
        raise ApiError(400, "The fake server does not stream.", param="stream")
    if not body.get("model"):
        raise ApiError(400, "Missing required parameter: 'model'.", code="missing_required_parameter", param="model")
    answer = {"chat": _chat, "responses": _responses, "compact": _compact}[endpoint]
    return answer(config, request, scripted)


def _check_key(config: FakeConfig, request: RecordedRequest) -> None:
    if config.required_api_key and request.authorization != f"Bearer {config.required_api_key}":
        raise ApiError(401, "Incorrect API key provided.", code="invalid_api_key")


def _model_entry(name: str) -> dict[str, Any]:
    return {"id": name, "object": "model", "created": 0, "owned_by": "fakeopenai"}


def _check_context(config: FakeConfig, model: str, input_tokens: int) -> None:
    window = config.context_windows.get(model)
    if window is not None and input_tokens > window:
        raise ApiError(
            400,
            f"This model's maximum context length is {window} tokens. However, your messages resulted in "
            f"{input_tokens} tokens. Please reduce the length of the messages.",
            code="context_length_exceeded",
            param="messages",
        )


def _reply_text(config: FakeConfig, request: RecordedRequest, scripted: Reply, *, wants_schema: bool,
                input_tokens: int, cap: int | None) -> str:
    model = request.body["model"]
    if scripted.text is not None:
        return scripted.text
    if wants_schema:
        content = config.analysis_content
        content = content(request) if callable(content) else content
        content = DEFAULT_ANALYSIS_REPORT if content is None else content
        return content if isinstance(content, str) else json.dumps(content)
    return tokens.filler_text(model, tokens.output_allowance(config.text_output_ratio, input_tokens, cap))


def _chat(config: FakeConfig, request: RecordedRequest, scripted: Reply) -> dict[str, Any]:
    body = request.body
    model = body["model"]
    input_tokens = tokens.chat_input_tokens(model, body.get("messages") or [], body.get("response_format"))
    _check_context(config, model, input_tokens)
    wants_schema = (body.get("response_format") or {}).get("type") == "json_schema"
    cap = body.get("max_completion_tokens") or body.get("max_tokens")
    text = _reply_text(config, request, scripted, wants_schema=wants_schema, input_tokens=input_tokens, cap=cap)
    output_tokens = tokens.count_text(model, text)
    usage = {
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": input_tokens + output_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }
    return {
        "id": compaction.new_id("chatcmpl"),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None}, "finish_reason": "stop"}
        ],
        "usage": _merged(usage, scripted.usage),
    }


def _responses_input_tokens(model: str, body: dict[str, Any]) -> int:
    items = body.get("input")
    for index, item in enumerate(items if isinstance(items, list) else []):
        kind = item.get("type", "message") if isinstance(item, dict) else None
        if kind not in RESPONSES_INPUT_ITEM_TYPES:
            raise ApiError(400, f"Invalid value: {kind!r}.", code="invalid_value", param=f"input[{index}].type")
    try:
        text_format = (body.get("text") or {}).get("format")
        return tokens.responses_input_tokens(model, body.get("instructions"), items, text_format)
    except compaction.InvalidCompactionItem as error:
        raise ApiError(400, str(error), code="invalid_encrypted_content", param="input") from error


def _responses_usage(input_tokens: int, output_tokens: int, override: dict | None) -> dict[str, Any]:
    usage = {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": input_tokens + output_tokens,
    }
    return _merged(usage, override)


def _responses(config: FakeConfig, request: RecordedRequest, scripted: Reply) -> dict[str, Any]:
    body = request.body
    model = body["model"]
    input_tokens = _responses_input_tokens(model, body)
    _check_context(config, model, input_tokens)
    text_format = (body.get("text") or {}).get("format") or {"type": "text"}
    wants_schema = text_format.get("type") == "json_schema"
    cap = body.get("max_output_tokens")
    text = _reply_text(config, request, scripted, wants_schema=wants_schema, input_tokens=input_tokens, cap=cap)
    message = {
        "type": "message",
        "id": compaction.new_id("msg"),
        "status": "completed",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }
    return {
        "id": compaction.new_id("resp"),
        "object": "response",
        "created_at": int(time.time()),
        "status": "completed",
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": cap,
        "model": model,
        "output": [message],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": body.get("store", True),
        "temperature": 1.0,
        "text": {"format": text_format},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _responses_usage(input_tokens, tokens.count_text(model, text), scripted.usage),
        "user": None,
        "metadata": {},
    }


COMPACT_FAILURES = {
    400: ("Compaction is not supported for model {model}.", "invalid_request_error", "unsupported_model"),
    404: ("The model `{model}` does not exist or you do not have access to it.", "invalid_request_error",
          "model_not_found"),
}
SERVER_ERROR = ("The server had an error while processing your request.", "server_error", None)


def _check_compact_parameters(body: dict[str, Any]) -> None:
    for name in body:
        if name not in COMPACT_ALLOWED_PARAMETERS:
            raise ApiError(400, f"Unknown parameter: '{name}'.", code="unknown_parameter", param=name)


def _compact(config: FakeConfig, request: RecordedRequest, scripted: Reply) -> dict[str, Any]:
    body = request.body
    model = body["model"]
    failure = config.compact_failures.get(model)
    if failure is not None:
        message, kind, code = COMPACT_FAILURES.get(failure, SERVER_ERROR)
        raise ApiError(failure, message.format(model=model), type=kind, code=code)
    if body.get("input") is None:
        raise ApiError(400, "The fake server keeps no stored responses: send 'input'.", param="input")
    input_tokens = _responses_input_tokens(model, body)
    _check_context(config, model, input_tokens)
    output_tokens = tokens.output_allowance(config.compaction_ratio, input_tokens, None)
    items = body["input"] if isinstance(body["input"], list) else [{"role": "user", "content": body["input"]}]
    kept = [item for item in items if item.get("role") == "user"]
    return {
        "id": compaction.new_id("cmp"),
        "object": "response.compaction",
        "created_at": int(time.time()),
        "output": [*kept, compaction.make_item(output_tokens, model)],
        "usage": _responses_usage(input_tokens, output_tokens, scripted.usage),
    }


def _merged(usage: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(usage)
    for key, value in (override or {}).items():
        nested = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = {**merged[key], **value} if nested else value
    return merged


def _anthropic_messages(config: FakeConfig, request: RecordedRequest, scripted: Reply) -> dict[str, Any]:
    body = request.body
    if not isinstance(body, dict):
        raise ApiError(400, "We could not parse the JSON body of your request.")
    content = config.analysis_content
    content = content(request) if callable(content) else content
    content = DEFAULT_ANALYSIS_REPORT if content is None else content
    report = scripted.text if scripted.text is not None else (content if isinstance(content, str) else json.dumps(content))
    try:
        return anthropic.answer(body, report)
    except anthropic.AnthropicError as error:
        raise ApiError(error.status, str(error)) from error
