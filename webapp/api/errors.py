"""The API's one error shape, `{"error": code, "detail": text}` (plus the numbers
behind a refusal), and the one table from the errors the layers below raise to
an HTTP status and that code. `api_view` answers any error in the table, so an
endpoint raises and never builds an error answer for a service's exception.

Refusals of the apps above this one (an analysis refused, a run not ready) are
`webapp.core.refusals.Refused`, which carry their own `code` and `status`."""

from __future__ import annotations

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from analysis.massgen import RunFormatError
from analysis.registry import ModelUnavailable, UnknownModel
from webapp.api.filters import BadQuery
from webapp.api.responses import rounded
from webapp.core.refusals import Refused
from webapp.runs.services import UploadRejected
from webapp.runs.uploads import UploadTooLarge

# SuspiciousOperation covers bad headers and the like; too many files or form
# fields arrive as UploadTooLarge (webapp.runs.uploads), like too many bytes.
_UNREADABLE = (MultiPartParserError, BadRequest, SuspiciousOperation, UnreadablePostError)

# Exception class -> (status, code, detail or None for the exception's own text). First match wins.
ERROR_TABLE: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], int, str, str | None], ...] = (
    (Http404, 404, "not_found", "Not found."),
    (PermissionDenied, 403, "forbidden", None),
    (UploadTooLarge, 413, "too_large", None),
    (UploadRejected, 400, "bad_upload", None),
    # An archive that holds no readable run, or breaks the reader's archive limits (an estimate reads it at once).
    (RunFormatError, 400, "bad_upload", None),
    (BadQuery, 400, "bad_query", None),
    (UnknownModel, 400, "unknown_model", None),
    (ModelUnavailable, 400, "model_unavailable", None),
    (_UNREADABLE, 400, "bad_request", "The request could not be read ({error})."),
)


def api_error(status: int, code: str, detail: str, headers: dict | None = None, extra: dict | None = None) -> JsonResponse:
    return JsonResponse(rounded({"error": code, "detail": detail, **(extra or {})}), status=status, headers=headers)


def not_found(detail: str = "Not found.") -> JsonResponse:
    return api_error(404, "not_found", detail)


def status_and_code(error: BaseException) -> tuple[int, str] | None:
    """The HTTP status and error code for `error`, or None if the table does not know it."""
    for kinds, status, code, _ in ERROR_TABLE:
        if isinstance(error, kinds):
            return status, code
    if isinstance(error, Refused):
        return error.status, error.code
    return None


def error_response(error: BaseException) -> JsonResponse | None:
    """The API's answer to `error`, with any numbers it carries; None when it is not an input error."""
    found = status_and_code(error)
    if found is None:
        return None
    status, code = found
    template = next((detail for kinds, _, _, detail in ERROR_TABLE if isinstance(error, kinds)), None)
    detail = template.format(error=error) if template else (str(error) or code)
    numbers = getattr(error, "numbers", None)
    return api_error(status, code, detail, extra=numbers if isinstance(numbers, dict) else None)
