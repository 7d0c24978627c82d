"""Garbage in never gets a 500: whatever the body, query or headers, the API
answers with one of its documented statuses and its JSON error shape."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import bearer

pytestmark = pytest.mark.django_db
DOCUMENTED = {200, 201, 400, 401, 403, 404, 405, 413, 429}
HYPOTHESIS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@HYPOTHESIS
@given(body=st.binary(max_size=2000), content_type=st.sampled_from([
    "multipart/form-data; boundary=xyz", "multipart/form-data", "multipart/form-data; boundary=", "application/json",
    "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=\"" + "a" * 300 + "\"",
]))
def test_any_upload_body_gets_a_documented_answer(client, tokens, storage_dir, body, content_type):
    response = client.generic("POST", "/api/v1/runs", body, content_type=content_type, headers=bearer(tokens.upload))
    assert response.status_code in DOCUMENTED
    assert set(response.json()) >= ({"error", "detail"} if response.status_code >= 400 else {"id", "status"})


@HYPOTHESIS
@given(query=st.dictionaries(st.sampled_from(["status", "model", "q", "since", "until", "limit", "cursor", "other"]), st.text(max_size=60), max_size=4))
def test_any_list_query_gets_a_documented_answer(client, tokens, query):
    response = client.get("/api/v1/runs", query, headers=bearer(tokens.read))
    assert response.status_code in {200, 400}, response.content


@HYPOTHESIS
@given(authorization=st.text(max_size=120), path=st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40))
def test_any_token_or_path_gets_a_documented_answer(client, authorization, path):
    response = client.get(f"/api/v1/runs/{path}", HTTP_AUTHORIZATION=authorization)
    assert response.status_code in DOCUMENTED and "error" in response.json()
