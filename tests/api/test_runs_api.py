"""POST/GET/DELETE /api/v1/runs: the public contract, every error status,
scopes and team isolation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests import stored
from tests.api.conftest import bearer
from tests.factories import RunFactory
from tests.ingest.support import ingest_now, multipart, zip_bytes, zip_with
from tests.samples import SMALLEST as SMALLEST_SAMPLE
from webapp.api.models import ApiToken
from webapp.api.tokens import do_revoke_token, hash_token
from webapp.runs import storage
from webapp.runs.models import Run

pytestmark = pytest.mark.django_db
RUNS = "/api/v1/runs"


def post_archive(client, token, data=None, name="run.zip"):
    data = zip_bytes(SMALLEST_SAMPLE) if data is None else data
    return client.post(RUNS, {"file": SimpleUploadedFile(name, data)}, headers=bearer(token))


def test_an_upload_token_uploads_a_run(client, tokens, storage_dir, people):
    response = post_archive(client, tokens.upload)
    assert response.status_code == 201
    body = response.json()
    run = Run.objects.get(pk=body["id"])
    assert body["status"] == "queued" and body["url"] == f"http://testserver/runs/{run.pk}/"
    assert run.team == people.team_a and run.source == "api" and storage.find_staged(run.pk).endswith("/run.zip")
    assert response["Location"] == f"/api/v1/runs/{run.pk}"


def test_the_same_archive_again_answers_200_with_the_same_run(client, tokens, storage_dir):
    first = post_archive(client, tokens.upload).json()
    again = post_archive(client, tokens.full, name="renamed.zip")
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert Run.objects.count() == 1 and len(list((storage_dir / "staging").iterdir())) == 1


def test_a_run_reads_back_with_its_summary_once_ready(client, tokens, storage_dir):
    created = post_archive(client, tokens.upload).json()
    queued = client.get(f"{RUNS}/{created['id']}", headers=bearer(tokens.read)).json()
    assert queued["status"] == "queued" and queued["summary"] is None and queued["error"] is None

    ingest_now(Run.objects.get(pk=created["id"]))

    body = client.get(f"{RUNS}/{created['id']}", headers=bearer(tokens.read)).json()
    assert set(body) >= {"id", "url", "status", "error", "sha256", "summary"}
    assert body["status"] == "ready" and body["error"] is None and len(body["sha256"]) == 64
    assert body["summary"]["format_version"] == 1 and body["summary"]["session_id"] == SMALLEST_SAMPLE.name


def test_a_failed_run_reads_back_with_its_reason(client, tokens, storage_dir):
    created = post_archive(client, tokens.upload, zip_with({"notes/readme.txt": b"hi"})).json()
    ingest_now(Run.objects.get(pk=created["id"]))
    body = client.get(f"{RUNS}/{created['id']}", headers=bearer(tokens.read)).json()
    assert body["status"] == "failed" and "no MassGen run" in body["error"] and body["summary"] is None


def test_a_full_token_deletes_a_run_and_its_files(client, tokens, storage_dir, django_capture_on_commit_callbacks):
    run = ingest_now(Run.objects.get(pk=post_archive(client, tokens.upload).json()["id"]))
    assert stored.files_root(run).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(f"{RUNS}/{run.pk}", headers=bearer(tokens.full))
    assert response.status_code == 204
    assert not Run.objects.filter(pk=run.pk).exists() and not stored.run_dir(run).exists()
    assert client.get(f"{RUNS}/{run.pk}", headers=bearer(tokens.full)).status_code == 404


def test_an_upload_token_cannot_read(client, tokens, people):
    run = RunFactory(team=people.team_a, bare=True)
    for url in (RUNS, f"{RUNS}/{run.pk}"):
        response = client.get(url, headers=bearer(tokens.upload))
        assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_an_upload_token_cannot_delete(client, tokens, people):
    run = RunFactory(team=people.team_a, bare=True)
    assert client.delete(f"{RUNS}/{run.pk}", headers=bearer(tokens.upload)).status_code == 403
    assert Run.objects.filter(pk=run.pk).exists()


def test_a_read_token_cannot_upload_or_delete(client, tokens, people, storage_dir):
    run = RunFactory(team=people.team_a, bare=True)
    assert post_archive(client, tokens.read).status_code == 403
    assert client.delete(f"{RUNS}/{run.pk}", headers=bearer(tokens.read)).status_code == 403
    assert Run.objects.count() == 1


def test_another_teams_token_gets_404_for_its_runs(client, tokens, people):
    alices = RunFactory(team=people.team_a, bare=True)
    for method in ("get", "delete"):
        response = getattr(client, method)(f"{RUNS}/{alices.pk}", headers=bearer(tokens.birch))
        assert response.status_code == 404 and response.json() == {"error": "not_found", "detail": "Not found."}
    assert client.get(RUNS, headers=bearer(tokens.birch)).json()["results"] == []
    assert Run.objects.filter(pk=alices.pk).exists()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"}, {"Authorization": "Basic YWxpY2U6cHc="}, {"Authorization": "Bearer dbr_full_wrong"}, {"Authorization": "Bearer nonsense"}])
def test_it_answers_401_without_a_valid_token(client, tokens, headers):
    response = client.get(RUNS, headers=headers)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == {"error", "detail"}


def test_a_revoked_token_is_refused(client, tokens):
    do_revoke_token(ApiToken.objects.get(hash=hash_token(tokens.read)))
    response = client.get(RUNS, headers=bearer(tokens.read))
    assert response.status_code == 401 and response.json()["error"] == "invalid_token"


@pytest.mark.parametrize("method,url", [("put", RUNS), ("patch", RUNS), ("delete", RUNS), ("post", f"{RUNS}/00000000-0000-0000-0000-000000000000"), ("post", "/api/v1/schema")])
def test_it_answers_405_naming_the_allowed_methods(client, tokens, method, url):
    response = getattr(client, method)(url, headers=bearer(tokens.full))
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed" and response["Allow"]


def test_it_answers_400_when_the_body_is_not_multipart(client, tokens):
    response = client.post(RUNS, b'{"file": "x"}', content_type="application/json", headers=bearer(tokens.upload))
    assert response.status_code == 400 and "multipart" in response.json()["detail"]


def test_it_answers_400_when_no_file_is_sent(client, tokens):
    response = client.post(RUNS, {"other": "x"}, headers=bearer(tokens.upload))
    assert response.status_code == 400 and "`file`" in response.json()["detail"]


@pytest.mark.parametrize("name,data", [("run.zip", b"not a zip"), ("notes.txt", b"hello"), ("run.tar.gz", b"PK\x03\x04")])
def test_it_answers_400_when_the_file_is_not_an_archive(client, tokens, storage_dir, name, data):
    response = post_archive(client, tokens.upload, data, name)
    assert response.status_code == 400 and response.json()["error"] == "bad_upload"
    assert not Run.objects.exists()


def test_it_answers_400_for_a_broken_multipart_body(client, tokens):
    body, content_type = multipart([("file", "run.zip", b"PK\x03\x04")])
    for broken, kind in ((body[: len(body) // 2], content_type), (body, "multipart/form-data"), (body, "multipart/form-data; boundary=")):
        response = client.generic("POST", RUNS, broken, content_type=kind, headers=bearer(tokens.upload))
        assert response.status_code == 400, response.content


def test_an_archive_exactly_at_the_limit_is_accepted(client, tokens, storage_dir, settings):
    data = zip_bytes(SMALLEST_SAMPLE)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data)
    assert post_archive(client, tokens.upload, data).status_code == 201


def test_an_archive_one_byte_past_the_limit_gets_413_naming_the_limit(client, tokens, storage_dir, settings):
    data = zip_bytes(SMALLEST_SAMPLE)
    settings.DEBRIEF_MAX_UPLOAD_BYTES = len(data) - 1
    response = post_archive(client, tokens.upload, data)
    assert response.status_code == 413 and response.json()["error"] == "too_large"
    assert str(len(data) - 1) in response.json()["detail"]
    assert not Run.objects.exists() and [p for p in storage_dir.rglob("*") if p.is_file()] == []


def test_one_file_past_the_file_limit_gets_the_same_413_naming_the_limit(client, tokens, storage_dir, settings):
    data = zip_bytes(SMALLEST_SAMPLE)
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 1
    assert post_archive(client, tokens.upload, data).status_code == 201
    body, content_type = multipart([("file", "run.zip", data), ("file", "again.zip", data)])
    response = client.generic("POST", RUNS, body, content_type=content_type, headers=bearer(tokens.upload))
    assert response.status_code == 413 and response.json() == {
        "error": "too_large", "detail": "The upload has more files than the limit of 1.",
    }
    assert Run.objects.count() == 1 and list((storage_dir / "incoming").iterdir()) == []


def test_too_many_requests_get_429_with_retry_after(client, tokens, settings):
    settings.DEBRIEF_API_RATE_LIMIT = 3
    statuses = [client.get(RUNS, headers=bearer(tokens.read)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get(RUNS, headers=bearer(tokens.read))
    assert response.json()["error"] == "rate_limited" and 1 <= int(response["Retry-After"]) <= settings.DEBRIEF_API_RATE_WINDOW_SECONDS
    assert client.get(RUNS, headers=bearer(tokens.full)).status_code == 200  # per token


def test_the_api_needs_no_csrf_token(tokens, storage_dir):
    response = post_archive(Client(enforce_csrf_checks=True), tokens.upload)
    assert response.status_code == 201


@pytest.mark.parametrize("url", ["/api/v1/nope", f"{RUNS}/not-a-uuid", f"{RUNS}/", f"{RUNS}/12345678-1234-1234-1234-123456789012"])
def test_unknown_paths_and_ids_answer_json_404(client, tokens, url):
    response = client.get(url, headers=bearer(tokens.read))
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_a_0_1_1_run_reads_back_with_null_not_zero_for_what_massgen_never_recorded(client, tokens, storage_dir):
    from tests.samples import SAMPLE_SESSIONS

    flat = next(folder for folder in SAMPLE_SESSIONS if not (folder / "turn_1").is_dir())
    created = post_archive(client, tokens.upload, zip_bytes(flat), name="flat.zip").json()
    ingest_now(Run.objects.get(pk=created["id"]))

    body = client.get(f"{RUNS}/{created['id']}", headers=bearer(tokens.read)).json()
    assert body["status"] == "ready" and body["massgen_version"] == "0.1.1"
    assert (body["input_tokens"], body["output_tokens"], body["cost_usd"]) == (None, None, None)
    assert body["skipped_files"] == {}
    attempt = body["summary"]["turns"][0]["attempts"][0]
    assert attempt["totals"]["cost_usd"] is None and attempt["tool_calls"] is None
    assert sum(agent["restarts"] for agent in attempt["agents"]) == 17
    listed = client.get(RUNS, headers=bearer(tokens.read)).json()["results"][0]
    assert listed["cost_usd"] is None and "skipped_files" in listed
