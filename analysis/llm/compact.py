"""One call to OpenAI's `POST /v1/responses/compact`.

Sent through the openai SDK's raw-response path rather than litellm: litellm
re-validates the output into its own types, which reorders and adds keys, while the
compacted window must go back to `/v1/responses` exactly as it came. Only the
parameters the endpoint accepts are sent (model, input, instructions); it rejects
anything else with a 400."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analysis.llm.litellm_env import get_litellm
from analysis.llm.errors import (
    CompactionUnsupported,
    ContextLengthExceeded,
    PermanentLLMError,
    UnreadableReply,
    classify,
)
from analysis.llm.usage import Usage, cost_usd
from analysis.llm.modelinfo import KEYLESS_PLACEHOLDER, ModelInfo

COMPACTING_PROVIDERS = frozenset({"openai"})  # OpenAI itself and OpenAI-compatible api_bases
UNSUPPORTED_STATUSES = frozenset({400, 404})


@dataclass(frozen=True)
class CompactReply:
    output_items: list[dict[str, Any]]  # the whole compacted window, as the provider sent it
    usage: Usage
    cost_usd: float
    response_id: str | None


def endpoint_model_name(model: ModelInfo) -> tuple[str, str]:
    """The name the provider's own API knows the model by, and litellm's provider."""
    name, provider, _, _ = get_litellm().get_llm_provider(model=model.litellm_model, api_base=model.api_base)
    return name, provider


def compact(
    model: ModelInfo,
    *,
    input_items: list[dict[str, Any]],
    instructions: str | None,
    api_key: str | None,
    timeout: float,
) -> CompactReply:
    import openai

    name, provider = endpoint_model_name(model)
    if provider not in COMPACTING_PROVIDERS:
        raise CompactionUnsupported(f"{model.name}: /responses/compact is implemented for OpenAI endpoints only")
    client = openai.OpenAI(
        base_url=model.api_base, api_key=api_key or KEYLESS_PLACEHOLDER, timeout=timeout, max_retries=0
    )
    arguments: dict[str, Any] = {"model": name, "input": input_items}
    if instructions:
        arguments["instructions"] = instructions
    try:
        raw = client.responses.with_raw_response.compact(**arguments)
    except Exception as error:
        raise _compaction_error(model, classify(error)) from error
    try:
        body = json.loads(raw.http_response.content)
        output_items = list(body["output"])
    except (ValueError, KeyError, TypeError) as error:
        # A 2xx the provider probably billed: counted at its estimate (analysis.llm.ledger).
        raise UnreadableReply(
            f"answered {raw.http_response.status_code} with a compaction that could not be read ({error})",
            status_code=raw.http_response.status_code,
        ) from error
    usage = Usage.from_api(body.get("usage"))
    return CompactReply(output_items, usage, cost_usd(model, usage), body.get("id"))


def _compaction_error(model: ModelInfo, error: Exception) -> Exception:
    if (
        isinstance(error, PermanentLLMError)
        and not isinstance(error, ContextLengthExceeded)
        and error.status_code in UNSUPPORTED_STATUSES
    ):
        return CompactionUnsupported(
            f"{model.name}: /responses/compact answered {error.status_code}: {error.message}",
            status_code=error.status_code,
        )
    return error
