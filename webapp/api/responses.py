"""JSON answers of the API. Dollar amounts are sums of float products
(tokens x price per token), which leave binary noise such as
0.0056300000000000005; every float is rounded to MONEY_DECIMALS places on the
way out, far below a cent and above the noise, so a client reads 0.00563."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse

MONEY_DECIMALS = 10


def rounded(value: Any) -> Any:
    """`value` with every float in it rounded to MONEY_DECIMALS places."""
    if isinstance(value, float):
        return round(value, MONEY_DECIMALS)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(item) for item in value]
    return value


def api_json(data: Any, status: int = 200, **options) -> JsonResponse:
    return JsonResponse(rounded(data), status=status, safe=False, **options)


def no_content() -> HttpResponse:
    """204: no body, so no body type either (Django would add text/html)."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response
