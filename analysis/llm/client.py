"""One call to an analysis model through litellm: the Responses API for OpenAI-style
models, chat completions for everyone else. No retries here (litellm's and the
openai client's are switched off): the Celery task retries, with the provider's
Retry-After, and records each attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.llm.litellm_env import get_litellm
from analysis.llm.errors import classify
from analysis.llm.usage import Usage, cost_usd
from analysis.llm.modelinfo import ModelInfo

NO_RETRIES = {"num_retries": 0, "max_retries": 0}


@dataclass(frozen=True)
class LLMReply:
    text: str
    usage: Usage
    cost_usd: float
    response_id: str | None
    raw: dict[str, Any]


def call_model(
    model: ModelInfo,
    *,
    instructions: str,
    input_items: list[dict[str, Any]],
    json_schema: dict[str, Any] | None,
    api_key: str | None,
    timeout: float,
    max_output_tokens: int | None = None,
) -> LLMReply:
    """`input_items` are Responses-API input items; plain `{"role", "content"}`
    messages work for both APIs. `json_schema` is `{"name", "schema", "strict"}`."""
    if model.api == "responses":
        send = _responses
    elif model.api == "chat":
        if any(item.get("type", "message") != "message" for item in input_items):
            raise ValueError("chat completions take only messages (no compaction items)")
        send = _chat
    else:
        raise ValueError(f"{model.name} is answered offline, not through an LLM API")
    try:
        response = send(model, instructions, input_items, json_schema, api_key, timeout, max_output_tokens)
    except Exception as error:
        raise classify(error) from error
    raw = response.model_dump(mode="json")
    usage = Usage.from_api(raw.get("usage"))
    return LLMReply(
        text=_reply_text(model, raw),
        usage=usage,
        cost_usd=cost_usd(model, usage),
        response_id=provider_response_id(model, raw.get("id"), _response_headers(response)),
        raw=raw,
    )


# litellm keeps the provider's response headers with this prefix.
PROVIDER_HEADER_PREFIX = "llm_provider-"


def provider_response_id(
    model: ModelInfo, response_id: str | None, headers: dict[str, Any] | None = None
) -> str | None:
    """The id the provider gave its response (what its logs and support know).
    litellm wraps Responses-API ids as `resp_<base64 of provider, model and id>`, and
    replaces Anthropic's message id with a `chatcmpl-` id of its own: there the
    provider's `request-id` header is the id to keep."""
    if is_anthropic(model):
        return (headers or {}).get(f"{PROVIDER_HEADER_PREFIX}request-id") or response_id
    if not response_id or model.api != "responses":
        return response_id
    from litellm.responses.utils import ResponsesAPIRequestUtils  # litellm is loaded by now (get_litellm)

    return ResponsesAPIRequestUtils.decode_responses_api_response_id(response_id).get("response_id") or response_id


def _responses(
    model: ModelInfo,
    instructions: str,
    input_items: list[dict[str, Any]],
    json_schema: dict[str, Any] | None,
    api_key: str | None,
    timeout: float,
    max_output_tokens: int | None,
) -> Any:
    text = {"format": {"type": "json_schema", **json_schema}} if json_schema else None
    return get_litellm().responses(
        model=model.litellm_model,
        input=input_items,
        instructions=instructions,
        text=text,
        max_output_tokens=max_output_tokens,
        store=False,  # nothing refers back to a stored response; keeps zero data retention possible
        api_base=model.api_base,
        api_key=api_key,
        timeout=timeout,
        **NO_RETRIES,
    )


def _chat(
    model: ModelInfo,
    instructions: str,
    input_items: list[dict[str, Any]],
    json_schema: dict[str, Any] | None,
    api_key: str | None,
    timeout: float,
    max_output_tokens: int | None,
) -> Any:
    messages = [{"role": "system", "content": instructions}]
    messages += [{"role": item["role"], "content": item["content"]} for item in input_items]
    return get_litellm().completion(
        model=model.litellm_model,
        messages=messages,
        **_structured_output(model, json_schema),
        max_tokens=max_output_tokens,
        api_base=model.api_base,
        api_key=api_key,
        timeout=timeout,
        **NO_RETRIES,
    )


def _response_headers(response: Any) -> dict[str, Any]:
    hidden = getattr(response, "_hidden_params", None) or {}
    return hidden.get("additional_headers") or {}


def is_anthropic(model: ModelInfo) -> bool:
    return model.litellm_model.startswith("anthropic/")


def _structured_output(model: ModelInfo, json_schema: dict[str, Any] | None) -> dict[str, Any]:
    """How the report schema is asked for. Anthropic: today's `output_config.format`
    (litellm 1.106.2 would send the retired `output_format` beta alias for
    `response_format`) where the model has structured outputs, else a forced tool
    whose input is the report (tool-use JSON). Everyone else: `response_format`."""
    if not json_schema:
        return {}
    if not is_anthropic(model):
        return {"response_format": {"type": "json_schema", "json_schema": json_schema}}
    if _anthropic_structured_outputs(model):
        return {"output_config": {"format": {"type": "json_schema", "schema": json_schema["schema"]}}}
    tool = {"type": "function", "function": {"name": json_schema["name"], "parameters": json_schema["schema"]}}
    return {"tools": [tool], "tool_choice": {"type": "function", "function": {"name": json_schema["name"]}}}


def _anthropic_structured_outputs(model: ModelInfo) -> bool:
    entry = get_litellm().model_cost.get(model.litellm_model) or get_litellm().model_cost.get(model.api_model_id) or {}
    return entry.get("supports_native_structured_output") is True


def _reply_text(model: ModelInfo, raw: dict[str, Any]) -> str:
    if model.api == "chat":
        choices = raw.get("choices") or [{}]
        message = choices[0].get("message") or {}
        calls = message.get("tool_calls") or []
        if not message.get("content") and calls:  # the tool-use fallback: the report is the tool's input
            return (calls[0].get("function") or {}).get("arguments") or ""
        return message.get("content") or ""
    return "".join(
        part.get("text", "")
        for item in raw.get("output") or []
        if item.get("type") == "message"
        for part in item.get("content") or []
        if part.get("type") == "output_text"
    )
