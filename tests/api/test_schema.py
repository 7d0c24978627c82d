"""The OpenAPI schema is true to the code: every route of webapp/api/urls.py
is described with its methods and scopes, and nothing else is."""

import re

import pytest
from django.urls import URLResolver

from webapp.api import urls
from webapp.api.schema import PATHS, build_schema

pytestmark = pytest.mark.django_db


def openapi_path(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def routes(patterns=None, prefix=""):
    """(route, view) for every endpoint, following includes."""
    for pattern in urls.urlpatterns if patterns is None else patterns:
        if pattern in urls.fallback:
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.callback


def routed_operations() -> dict:
    operations = {}
    for route, view in routes():
        for method in view.api_methods:
            scopes = getattr(view, "api_views", {method: view})[method].api_scopes
            operations[(openapi_path(route), method.lower())] = sorted(scopes) if scopes else None
    return operations


def described_operations() -> dict:
    return {(path, method): sorted(op["x-scopes"]) if "x-scopes" in op else None for path, ops in PATHS.items() for method, op in ops.items()}


def test_every_route_is_in_the_schema_and_every_schema_path_is_routed():
    assert routed_operations() == described_operations()


def test_path_parameters_match_the_route_converters():
    for route, _ in routes():
        names = re.findall(r"<(?:\w+:)?(\w+)>", route)
        for op in PATHS[openapi_path(route)].values():
            assert sorted(p["name"] for p in op.get("parameters", []) if p["in"] == "path") == sorted(names)


def test_the_schema_is_served_as_openapi_3(client):
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.") and schema["servers"] == [{"url": "http://testserver/api/v1"}]
    assert schema == build_schema(response.wsgi_request)
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', response.content.decode())
    assert refs and set(refs) <= set(schema["components"]["schemas"])


def test_the_docs_page_lists_every_endpoint_without_anything_from_the_internet(client):
    response = client.get("/api/v1/docs")
    page = response.content.decode()
    assert response.status_code == 200
    for path, operations in PATHS.items():
        for method in operations:
            assert f"{method.upper()}</span> <code>/api/v1{path}</code>" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)
