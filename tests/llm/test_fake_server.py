"""The fake OpenAI server behaves like the real endpoints where Debrief relies on it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from analysis.engine.analyzer import validate_report
from tests.fakeopenai import Reply
from tests.fakeopenai.analysis_report import DEFAULT_ANALYSIS_REPORT
from tests.fakeopenai.endpoints import COMPACT_ALLOWED_PARAMETERS


def post(fake, path: str, body: dict | bytes, headers: dict | None = None) -> tuple[int, dict, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{fake.base_url}{path}",
        data=data,
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def get(fake, path: str) -> dict:
    with urllib.request.urlopen(f"{fake.base_url}{path}", timeout=30) as response:
        return json.loads(response.read())


CONVERSATION = [
    {"role": "user", "content": "Review this run."},
    {"role": "assistant", "content": "agent1.2 ran pytest three times " * 40},
]


def test_compact_keeps_user_messages_and_adds_one_opaque_compaction_item(fake_openai):
    status, _, body = post(fake_openai, "/responses/compact", {"model": "gpt-5.1-codex-mini", "input": CONVERSATION})

    assert status == 200
    assert body["object"] == "response.compaction"
    assert body["id"].startswith("cmp_")
    assert body["output"][:-1] == [CONVERSATION[0]]
    compaction = body["output"][-1]
    assert compaction["type"] == "compaction" and compaction["id"].startswith("cmp_")
    assert "agent1.2" not in compaction["encrypted_content"]
    assert body["usage"]["input_tokens"] > body["usage"]["output_tokens"] > 0
    assert body["usage"]["total_tokens"] == body["usage"]["input_tokens"] + body["usage"]["output_tokens"]


@pytest.mark.parametrize("parameter", ["temperature", "store", "metadata", "stream", "max_output_tokens"])
def test_compact_rejects_parameters_the_real_endpoint_rejects(fake_openai, parameter):
    status, _, body = post(
        fake_openai, "/responses/compact", {"model": "gpt-5.1-codex-mini", "input": CONVERSATION, parameter: 1}
    )

    assert status == 400
    assert body["error"] == {
        "message": f"Unknown parameter: '{parameter}'.",
        "type": "invalid_request_error",
        "param": parameter,
        "code": "unknown_parameter",
    }


def test_compact_accepts_every_documented_parameter(fake_openai):
    body = {name: "x" for name in COMPACT_ALLOWED_PARAMETERS - {"previous_response_id"}}
    body.update(model="gpt-5.1-codex-mini", input=CONVERSATION)

    status, _, _ = post(fake_openai, "/responses/compact", body)

    assert status == 200


@pytest.mark.parametrize("status", [400, 404, 500])
def test_compact_can_be_made_to_fail_for_one_model_only(fake_openai, status):
    fake_openai.fail_compact("gpt-5-mini", status)

    failed, _, _ = post(fake_openai, "/responses/compact", {"model": "gpt-5-mini", "input": CONVERSATION})
    other, _, _ = post(fake_openai, "/responses/compact", {"model": "gpt-5.1-codex-mini", "input": CONVERSATION})

    assert (failed, other) == (status, 200)


def test_responses_accepts_a_compacted_window_and_bills_the_compaction_item(fake_openai):
    _, _, compacted = post(fake_openai, "/responses/compact", {"model": "gpt-5.1-codex-mini", "input": CONVERSATION})
    question = {"role": "user", "content": "What went wrong?"}

    status, _, plain = post(fake_openai, "/responses", {"model": "gpt-5.1-codex-mini", "input": [question]})
    status_with, _, with_window = post(
        fake_openai, "/responses", {"model": "gpt-5.1-codex-mini", "input": [*compacted["output"], question]}
    )

    assert status == status_with == 200
    user_tokens = post(fake_openai, "/responses", {"model": "gpt-5.1-codex-mini", "input": [CONVERSATION[0], question]})
    assert with_window["usage"]["input_tokens"] == (
        user_tokens[2]["usage"]["input_tokens"] + compacted["usage"]["output_tokens"]
    )
    assert plain["usage"]["input_tokens"] < with_window["usage"]["input_tokens"]


def test_responses_rejects_a_mangled_compaction_item(fake_openai):
    _, _, compacted = post(fake_openai, "/responses/compact", {"model": "gpt-5.1-codex-mini", "input": CONVERSATION})
    mangled = {**compacted["output"][-1], "encrypted_content": "bm90IG91cnM="}

    status, _, body = post(fake_openai, "/responses", {"model": "gpt-5.1-codex-mini", "input": [mangled]})

    assert status == 400
    assert body["error"]["code"] == "invalid_encrypted_content"


def test_schema_requests_get_a_valid_debrief_report_by_default(fake_openai):
    schema_format = {"type": "json_schema", "name": "debrief_analysis", "schema": {}, "strict": True}

    _, _, body = post(
        fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi", "text": {"format": schema_format}}
    )

    text = body["output"][0]["content"][0]["text"]
    assert validate_report(text) == DEFAULT_ANALYSIS_REPORT


def test_a_test_can_supply_the_report_content(fake_openai):
    fake_openai.configure(analysis_content=lambda request: {"verdict": request.body["model"]})
    response_format = {"type": "json_schema", "json_schema": {"name": "r", "schema": {}}}

    _, _, body = post(
        fake_openai,
        "/chat/completions",
        {"model": "local-llama", "messages": [{"role": "user", "content": "hi"}], "response_format": response_format},
    )

    assert json.loads(body["choices"][0]["message"]["content"]) == {"verdict": "local-llama"}


def test_chat_usage_counts_the_prompt_like_the_real_api(fake_openai):
    _, _, body = post(
        fake_openai,
        "/chat/completions",
        {"model": "gpt-5-mini", "messages": [{"role": "user", "content": "hello there"}], "max_tokens": 5},
    )

    usage = body["usage"]
    assert usage["prompt_tokens"] == 9  # 2 tokens of text, 7 of chat framing (tiktoken, as OpenAI counts)
    assert usage["completion_tokens"] == 2  # 20 % of the input, rounded up
    assert usage["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert usage["completion_tokens_details"]["reasoning_tokens"] == 0


def test_scripted_replies_are_served_in_order_then_the_default_resumes(fake_openai):
    fake_openai.script("responses", Reply.rate_limited(7), Reply(status=500))

    first = post(fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi"})
    second = post(fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi"})
    third = post(fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi"})

    assert (first[0], first[1]["Retry-After"], second[0], third[0]) == (429, "7", 500, 200)


def test_a_scripted_raw_body_is_sent_verbatim(fake_openai):
    fake_openai.script("chat", Reply(raw_body='{"id": "chatcmpl-1", "choi'))

    request = urllib.request.Request(f"{fake_openai.base_url}/chat/completions", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read() == b'{"id": "chatcmpl-1", "choi'


def test_the_context_window_is_enforced_when_configured(fake_openai):
    fake_openai.set_context_window("tiny-model", 50)

    status, _, body = post(fake_openai, "/responses", {"model": "tiny-model", "input": "word " * 100})

    assert status == 400
    assert body["error"]["code"] == "context_length_exceeded"


def test_a_required_key_is_checked(fake_openai):
    fake_openai.configure(required_api_key="sk-right")

    status, _, body = post(fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi"})

    assert status == 401
    assert body["error"]["code"] == "invalid_api_key"


def test_models_lists_the_configured_ids(fake_openai):
    fake_openai.configure(models=["gpt-5-mini", "local-llama"])

    assert [entry["id"] for entry in get(fake_openai, "/models")["data"]] == ["gpt-5-mini", "local-llama"]


def test_every_request_is_recorded_with_headers_body_raw_bytes_and_reply(fake_openai):
    post(fake_openai, "/responses", {"model": "gpt-5-mini", "input": "hi"}, headers={"X-Trace": "1"})

    [recorded] = fake_openai.requests()
    assert (recorded.method, recorded.path, recorded.endpoint) == ("POST", "/v1/responses", "responses")
    assert recorded.authorization == "Bearer sk-test"
    assert recorded.headers["X-Trace"] == "1"
    assert recorded.body == {"model": "gpt-5-mini", "input": "hi"}
    assert json.loads(recorded.raw) == recorded.body
    assert recorded.reply_status == 200 and recorded.reply["object"] == "response"


def test_the_fake_runs_in_its_own_process_and_records_to_a_file(fake_openai_process):
    fake_openai_process.script("compact", Reply.error(404, "no such model", code="model_not_found"))

    status, _, _ = post(fake_openai_process, "/responses/compact", {"model": "gpt-5-mini", "input": CONVERSATION})
    ok, _, _ = post(fake_openai_process, "/responses/compact", {"model": "gpt-5-mini", "input": CONVERSATION})

    assert (status, ok) == (404, 200)
    recorded = fake_openai_process.requests_to("compact")
    assert [request.reply_status for request in recorded] == [404, 200]
    assert recorded[0].body["input"] == CONVERSATION
    assert fake_openai_process.record_path.exists()
