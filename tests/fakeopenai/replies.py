"""Scripted replies: what a test tells the fake server to answer next."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Reply:
    """One scripted answer. Exactly one of `body`, `text` or `raw_body` shapes the
    payload; with none of them the endpoint's default responder builds it.

    body: the whole JSON body, sent as is.
    text: the assistant text, wrapped in a normal envelope with real usage (use it for
          replies whose content is not valid JSON for the requested schema).
    raw_body: bytes-like text sent verbatim, e.g. a truncated JSON document.
    usage: fields merged over the computed usage (e.g. cached tokens).
    """

    status: int = 200
    body: Any = None
    text: str | None = None
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    usage: dict[str, Any] | None = None

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> "Reply":
        return cls(status=status, body=error_body(message, type=type, code=code, param=param), headers=headers or {})

    @classmethod
    def rate_limited(cls, retry_after_seconds: int) -> "Reply":
        return cls.error(
            429,
            "Rate limit reached. Please try again later.",
            type="rate_limit_error",
            code="rate_limit_exceeded",
            headers={"Retry-After": str(retry_after_seconds)},
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reply":
        return cls(**data)


def error_body(message: str, *, type: str, code: str | None = None, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}
