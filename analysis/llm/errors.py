"""The three kinds of LLM failure Debrief acts on, and the one place that maps
litellm / openai exceptions onto them.

Transient errors are retried by the Celery task (nothing retries inside a call);
permanent ones are reported to the user; CompactionUnsupported makes compression
fall back to summarisation and is remembered per model."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping

from analysis.llm.litellm_env import get_litellm

RATE_LIMITED = 429
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 409, 413, 422})
CONTEXT_LENGTH_MARKERS = ("context_length_exceeded", "maximum context length", "context window")
# How litellm reports a 2xx body the openai client could not parse (it re-raises it
# as a 500): "... - <why>, Received response - <APIResponse [200 OK] ...".
_UNREADABLE_2XX = re.compile(r",? Received response - <APIResponse \[(?P<status>2\d\d) ")


class LLMError(Exception):
    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code


class TransientLLMError(LLMError):
    """Worth retrying later: rate limits, 5xx, time-outs, dropped connections."""

    def __init__(self, message: str, *, status_code: int | None = None, retry_after: float | None = None):
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said


class UnreadableReply(TransientLLMError):
    """A reply the provider probably billed but we never read: a 2xx whose body
    could not be parsed (cut off, empty, not JSON), or one that did not come back
    within the time-out (the provider finishes, and bills, what it started).
    Retried like any transient fault; the caller counts it at its estimate."""


class PermanentLLMError(LLMError):
    """Retrying the same request cannot help: bad request, key, model or size."""


class ContextLengthExceeded(PermanentLLMError):
    """The provider counted more input than the model takes (our estimate was low)."""


class CompactionUnsupported(PermanentLLMError):
    """The model (or its endpoint) does not offer /responses/compact."""


TRANSIENT_ERRORS: tuple[type[Exception], ...] = (TransientLLMError,)


def classify(error: BaseException) -> LLMError:
    """Map an exception raised by litellm or the openai SDK to Debrief's errors.
    litellm's exceptions subclass openai's, so one mapping serves both; the status
    code decides rather than the class, because litellm reports a 401 as a
    BadRequestError and a refused connection as a 500."""
    import openai

    if isinstance(error, LLMError):
        return error
    message = _message(error)
    unreadable = _UNREADABLE_2XX.search(message)
    if unreadable:
        status = int(unreadable.group("status"))
        why = message[: unreadable.start()].rsplit(" - ", 1)[-1].strip() or "no body"
        return UnreadableReply(f"answered {status} with a reply that could not be read ({why})", status_code=status)
    status = _status_code(error)
    if status is not None and 200 <= status < 300:
        # litellm's Responses API path reports a 2xx body it could not parse as an
        # APIError carrying that status and the body ("OpenAIException - <body>"),
        # which is not quoted: it is the provider's, unscrubbed.
        body = message.split(" - ", 1)[-1].strip() if " - " in message else ""
        why = "a body that is not the reply's JSON" if body else "no body"
        return UnreadableReply(f"answered {status} with a reply that could not be read ({why})", status_code=status)
    if isinstance(error, (openai.APITimeoutError, TimeoutError)):
        return UnreadableReply(f"no reply within the time-out ({message})", status_code=getattr(error, "status_code", None))
    if isinstance(error, (openai.APIConnectionError, ConnectionError)):
        return TransientLLMError(message, status_code=getattr(error, "status_code", None))
    status = getattr(error, "status_code", None)
    if status == RATE_LIMITED:
        return TransientLLMError(message, status_code=status, retry_after=retry_after_seconds(_headers(error)))
    if isinstance(status, int) and status >= 500:
        return TransientLLMError(message, status_code=status)
    if status in PERMANENT_STATUSES:
        kind = ContextLengthExceeded if _mentions_context_length(error, message) else PermanentLLMError
        return kind(message, status_code=status)
    if isinstance(error, openai.APIError):
        # e.g. a 200 whose body was cut off: a transport fault, not the request's
        return TransientLLMError(message, status_code=status)
    return PermanentLLMError(message, status_code=status)


def retry_after_seconds(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds from `retry-after-ms`, `Retry-After` in seconds, or `Retry-After` as an HTTP date."""
    if not headers:
        return None
    lowered = {str(name).lower(): str(value) for name, value in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        except ValueError:
            pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _status_code(error: BaseException) -> int | None:
    try:
        return int(getattr(error, "status_code", None))
    except (TypeError, ValueError):
        return None


def _headers(error: BaseException) -> Mapping[str, str] | None:
    litellm_headers = getattr(error, "litellm_response_headers", None)
    if litellm_headers:
        return litellm_headers
    response = getattr(error, "response", None)
    return getattr(response, "headers", None)


def _message(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error) or type(error).__name__


def _mentions_context_length(error: BaseException, message: str) -> bool:
    if isinstance(error, get_litellm().ContextWindowExceededError):
        return True
    text = f"{message} {getattr(error, 'code', '')}".lower()
    return any(marker in text for marker in CONTEXT_LENGTH_MARKERS)
