"""The API docs page (templates/api/docs.html): descriptions with their
`backticked` names as code, and example request and response bodies built from
the OpenAPI schema, so the page and the schema cannot disagree."""

from __future__ import annotations

import json
import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from webapp.api.schema import COMPONENTS, PATHS

register = template.Library()

API_PREFIX = "/api/v1"
# Nested schemas deeper than this are shown as {} (the schema has no cycles today).
MAX_EXAMPLE_DEPTH = 8
_BACKTICKED = re.compile(r"`([^`]+)`")


@register.filter
def inline_code(text) -> str:
    """Escaped text with `name` shown as <code>name</code>."""
    return mark_safe(_BACKTICKED.sub(r"<code>\1</code>", escape(str(text or ""))))  # noqa: S308 - escaped first


def example_of(schema: dict, depth: int = 0):
    if not isinstance(schema, dict) or depth > MAX_EXAMPLE_DEPTH:
        return {}
    if "$ref" in schema:
        return example_of(COMPONENTS["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {}), depth + 1)
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for combined in ("oneOf", "anyOf", "allOf"):
        if schema.get(combined):
            return example_of(schema[combined][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: example_of(sub, depth + 1) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [example_of(schema.get("items") or {}, depth + 1)]
    return {"integer": 0, "number": 0.0, "boolean": True, "null": None}.get(kind, _string_example(schema))


def _string_example(schema: dict) -> str:
    return {"date-time": "2026-11-24T05:00:00Z", "uuid": "3f1c…", "binary": "<file>"}.get(schema.get("format"), "string")


def _json_example(content: dict) -> str | None:
    body = (content or {}).get("application/json")
    if not body or "schema" not in body:
        return None
    return json.dumps(example_of(body["schema"]), indent=2, ensure_ascii=False)


@register.simple_tag
def api_examples(endpoint) -> dict:
    """{"request": JSON text or None, "responses": [(status, JSON text)]} of one docs-page endpoint."""
    path = str(endpoint["path"]).removeprefix(API_PREFIX)
    operation = PATHS.get(path, {}).get(str(endpoint["method"]).lower(), {})
    request = _json_example((operation.get("requestBody") or {}).get("content"))
    responses = [(status, text) for status, response in sorted(operation.get("responses", {}).items())
                 if status.startswith("2") and (text := _json_example(response.get("content"))) is not None]
    return {"request": request, "responses": responses}
