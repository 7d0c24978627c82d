"""The OpenAI paths the fake serves, and the name each one has in scripts."""

from __future__ import annotations

ROUTES = {
    ("POST", "/v1/chat/completions"): "chat",
    ("POST", "/v1/responses"): "responses",
    ("POST", "/v1/responses/compact"): "compact",
    ("GET", "/v1/models"): "models",
    ("POST", "/v1/messages"): "messages",  # Anthropic's Messages API
}


def endpoint_for(method: str, path: str) -> str | None:
    return ROUTES.get((method, path.split("?", 1)[0].rstrip("/") or "/"))
