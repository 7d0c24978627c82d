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
        response_id=raw.get("id"),
        raw=raw,
    )


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
    response_format = {"type": "json_schema", "json_schema": json_schema} if json_schema else None
    return get_litellm().completion(
        model=model.litellm_model,
        messages=messages,
        response_format=response_format,
        max_tokens=max_output_tokens,
        api_base=model.api_base,
        api_key=api_key,
        timeout=timeout,
        **NO_RETRIES,
    )


def _reply_text(model: ModelInfo, raw: dict[str, Any]) -> str:
    if model.api == "chat":
        choices = raw.get("choices") or [{}]
        return (choices[0].get("message") or {}).get("content") or ""
    return "".join(
        part.get("text", "")
        for item in raw.get("output") or []
        if item.get("type") == "message"
        for part in item.get("content") or []
        if part.get("type") == "output_text"
    )
