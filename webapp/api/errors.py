"""The API's one error shape: `{"error": code, "detail": text}`."""

from __future__ import annotations

from django.http import JsonResponse


def api_error(status: int, code: str, detail: str, headers: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": code, "detail": detail}, status=status, headers=headers)


def not_found(detail: str = "Not found.") -> JsonResponse:
    return api_error(404, "not_found", detail)
