"""Input tokens of the request the analyzer sends, counted with the model's
tokenizer through the Django-cached counter."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from analysis.report.input import AnalysisInput
from analysis.engine.analyzer import build_prompt
from analysis.llm.tokens import count_input_tokens, schema_message
from analysis.report.prompt import REPORT_FORMAT
from analysis.llm.modelinfo import ModelInfo
from webapp.llm.registry import token_counter


def exact_input_tokens(model: ModelInfo, analysis_input: AnalysisInput) -> int:
    """Input tokens of the analyzer's request for this input, sent uncompressed, with
    the report schema it is sent with."""
    prompt = build_prompt(analysis_input)
    return count_request_tokens(model, prompt.instructions, prompt.items, json_schema=REPORT_FORMAT)


def count_request_tokens(
    model: ModelInfo,
    instructions: str,
    items: Sequence[Mapping[str, Any]],
    opaque_tokens: Mapping[str, int] | None = None,
    json_schema: Mapping[str, Any] | None = None,
) -> int:
    """`analysis.llm.tokens.count_input_tokens`, through the cached counter where the
    request is plain messages (a compaction item's cost is not text to count)."""
    if any(item.get("type", "message") != "message" for item in items):
        return count_input_tokens(model, instructions, items, opaque_tokens, json_schema)
    messages = [{"role": "system", "content": instructions}] if instructions else []
    messages += schema_message(json_schema)
    messages += [{"role": str(item.get("role", "user")), "content": item["content"]} for item in items]
    return token_counter().count_messages(model, messages)
