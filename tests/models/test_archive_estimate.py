"""POST /api/v1/estimate: the estimate of an archive before it is uploaded, read the
way an upload is and estimated by the one estimate service, with nothing stored."""

from __future__ import annotations

import pytest

from tests.api.conftest import bearer
from tests.ingest.conftest import storage_dir  # noqa: F401 - shared fixture
from tests.ingest.support import multipart, zip_bytes, zip_with
from tests.samples import SPLIT_VOTE, ingest_sample
from webapp.api.tokens import do_create_token
from webapp.runs.models import Run

ESTIMATE = "/api/v1/estimate"


def post(client, token, data: bytes | None, fields: dict[str, str], name: str = "run.zip"):
    files = [] if data is None else [("file", name, data)]
    body, content_type = multipart(files, fields)
    return client.generic("POST", ESTIMATE, body, content_type=content_type, headers=bearer(token))


@pytest.fixture
def token(people):
    return do_create_token(people.team_a, "upload", "ci", people.alice)[1]


def stored_files(storage_dir):
    return [path for path in storage_dir.rglob("*") if path.is_file()]


def test_an_archive_is_estimated_like_the_same_run_once_uploaded_and_nothing_is_kept(
    client, token, people, storage_dir, openai_key
):
    response = post(client, token, zip_bytes(SPLIT_VOTE), {"model": "gpt-5-mini"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert not Run.objects.exists() and stored_files(storage_dir) == []
    run = ingest_sample(people.team_a, SPLIT_VOTE)
    read = do_create_token(people.team_a, "read", "r", people.alice)[1]
    stored = client.post(f"/api/v1/runs/{run.pk}/estimate", {"model": "gpt-5-mini"}, content_type="application/json",
                         headers=bearer(read)).json()
    assert body == stored  # one path: the same tokens, prices, fit and advice


def test_the_upload_limit_applies_exactly(client, token, storage_dir, settings, openai_key):
    data = zip_bytes(SPLIT_VOTE)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data)
    assert post(client, token, data, {"model": "gpt-5-mini"}).status_code == 200
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data) - 1
    response = post(client, token, data, {"model": "gpt-5-mini"})
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert stored_files(storage_dir) == []


@pytest.mark.parametrize(
    ("data", "fields", "name", "code"),
    [
        (b"not an archive", {"model": "debrief/offline"}, "run.zip", "bad_upload"),
        (b"PK\x03\x04", {"model": "debrief/offline"}, "run.txt", "bad_upload"),
        (zip_with({"notes.txt": b"hello"}), {"model": "debrief/offline"}, "run.zip", "bad_upload"),
        (None, {"model": "debrief/offline"}, "run.zip", "bad_request"),
        ("sample", {}, "run.zip", "bad_request"),
        ("sample", {"model": "debrief/offline", "compression": "squash"}, "run.zip", "bad_request"),
        ("sample", {"model": "gpt5-mini"}, "run.zip", "unknown_model"),
        ("sample", {"model": "anthropic/claude-sonnet-4-5"}, "run.zip", "model_unavailable"),
    ],
)
def test_what_cannot_be_estimated_is_a_precise_400_and_leaves_nothing(client, token, storage_dir, data, fields, name, code):
    data = zip_bytes(SPLIT_VOTE) if data == "sample" else data
    response = post(client, token, data, fields, name)
    assert response.status_code == 400, response.content
    assert response.json()["error"] == code
    assert not Run.objects.exists() and stored_files(storage_dir) == []


def test_a_json_body_is_refused_with_the_usage(client, token):
    response = client.post(ESTIMATE, {"model": "debrief/offline"}, content_type="application/json", headers=bearer(token))
    assert response.status_code == 400 and "multipart/form-data" in response.json()["detail"]


def test_any_token_may_estimate_but_none_is_a_401(client, people):
    assert client.post(ESTIMATE).status_code == 401
    for scope in ("upload", "read", "full"):
        token = do_create_token(people.team_a, scope, scope, people.alice)[1]
        assert post(client, token, zip_bytes(SPLIT_VOTE), {"model": "debrief/offline"}).status_code == 200
