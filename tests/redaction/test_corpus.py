"""Every shape of secret the scrubber knows, planted in text the way it turns
up in MassGen runs, and the ordinary content it must leave alone."""

from __future__ import annotations

import json

import pytest

from analysis.redaction.scrub import REDACTED, scrub, scrub_bytes, scrub_file, scrub_text

PEM_BODY = "MIIEowIBAAKCAQEAq8xT0pSecretKey0123456789abcdef\nQWxhZGRpbjpvcGVuIHNlc2FtZQ==\nZm9vYmFyYmF6cXV4"

# (shape, text holding the secret, the secret itself)
PLANTED = [
    ("openai key", "request failed: sk-proj-Zq8xT0pSecretKey0123456789abcdef", "sk-proj-Zq8xT0pSecretKey0123456789abcdef"),
    ("anthropic key", "x-api-key sk-ant-api03-QwErTy0123456789-abcdefghij", "sk-ant-api03-QwErTy0123456789-abcdefghij"),
    ("google key", "key=AIzaSyD-0123456789abcdefghijklmnopqrstu&q=1", "AIzaSyD-0123456789abcdefghijklmnopqrstu"),
    ("xai key", "using xai-0123456789abcdefghijKLMNOP now", "xai-0123456789abcdefghijKLMNOP"),
    ("groq key", "GROQ gsk_0123456789abcdefghijKLMNOPQRSTUVWXYZ", "gsk_0123456789abcdefghijKLMNOPQRSTUVWXYZ"),
    ("github token", "remote ghp_0123456789abcdefghijKLMNOPQRSTUVWXYZ", "ghp_0123456789abcdefghijKLMNOPQRSTUVWXYZ"),
    ("github pat", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
    ("hugging face token", "hf_0123456789abcdefghijKLMNOPQRSTUV", "hf_0123456789abcdefghijKLMNOPQRSTUV"),
    ("aws key id", "aws AKIAIOSFODNN7EXAMPLE configured", "AKIAIOSFODNN7EXAMPLE"),
    ("stripe live key", "charge with sk_live_51H8abcDEFghiJKLmnoPQRst", "sk_live_51H8abcDEFghiJKLmnoPQRst"),
    ("stripe restricted key", "rk_live_51H8abcDEFghiJKLmnoPQRst,", "rk_live_51H8abcDEFghiJKLmnoPQRst"),
    ("slack bot token", "posting with xoxb-1234567890-0987654321-AbCdEfGhIjKl", "xoxb-1234567890-0987654321-AbCdEfGhIjKl"),
    ("slack user token", "xoxp-1234567890-0987654321-AbCdEfGhIjKl", "xoxp-1234567890-0987654321-AbCdEfGhIjKl"),
    (
        "jwt",
        "session eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c ok",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    ("bearer of letters only", "Authorization header Bearer abcdefghijklmnopqrstuvwxyzABCDEF", "abcdefghijklmnopqrstuvwxyzABCDEF"),
    ("bearer with digits", "curl -H 'Bearer abc123def456ghi789'", "abc123def456ghi789"),
    ("url userinfo", "cloning https://alice:hunter2-Secret@git.example.com/repo.git", "hunter2-Secret"),
    ("url userinfo with @ in the password", "postgres://app:p@ss:w0rd@db.internal:5432/x", "p@ss:w0rd"),
    ("url userinfo, JSON-escaped slashes", r"https:\/\/bob:s3cr3tpass@example.com\/x", "s3cr3tpass"),
    ("url token as user", "https://0123456789abcdef0123456789abcdef@github.com/o/r", "0123456789abcdef0123456789abcdef"),
    ("pem private key", f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----", PEM_BODY),
    (
        "pem private key, JSON-escaped",
        json.dumps({"key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"})[1:-1],
        json.dumps(PEM_BODY)[1:-1],
    ),
    ("pem without its END line", f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),
    ("json assignment", '{"api_key": "plain-value-123", "max_tokens": 100}', "plain-value-123"),
    ("json-escaped assignment", r'{"arguments": "{\"api_key\": \"plain-value-123\", \"q\": 1}"}', "plain-value-123"),
    ("double-escaped assignment", r'"{\\\"password\\\": \\\"hunter2xyz\\\"}"', "hunter2xyz"),
    ("escaped newline before the name", r'"notes:\npassword=hunter2xyz\nbye"', "hunter2xyz"),
    ("env assignment", "export OPENAI_API_KEY=abc123def", "abc123def"),
    ("yaml assignment", "  client_secret: 'q1w2e3r4'", "q1w2e3r4"),
    ("python repr", "{'access_token': 'ya29.a0Af-secret', 'scope': 'x'}", "ya29.a0Af-secret"),
    ("command-line flag", "massgen --api-key plainkey --model gpt-4o", "plainkey"),
    ("authorization header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("cookie header", "Cookie: session=abc123; theme=dark", "session=abc123"),
    ("hex key under a secret-like name", '{"key": "5f4dcc3b5aa765d61d8327deb882cf99"}', "5f4dcc3b5aa765d61d8327deb882cf99"),
    ("base64 under a secret-like name", "X-Amz-Signature=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA&X-Amz-Date=1", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA"),
    ("random value after a spaced name", "the API key 5f4dcc3b5aa765d61d8327deb882cf99 was rotated", "5f4dcc3b5aa765d61d8327deb882cf99"),
    ("camelCase name", '{"clientSecret": "s3cr3t-value"}', "s3cr3t-value"),
]


@pytest.mark.parametrize(("shape", "text", "secret"), PLANTED, ids=[shape for shape, _, _ in PLANTED])
def test_every_shape_of_secret_is_redacted(shape, text, secret):
    scrubbed = scrub_text(text)
    assert secret not in scrubbed, scrubbed
    assert REDACTED in scrubbed
    assert scrub_text(scrubbed) == scrubbed


@pytest.mark.parametrize(("shape", "text", "secret"), PLANTED, ids=[shape for shape, _, _ in PLANTED])
def test_every_shape_of_secret_is_redacted_from_a_stored_file(tmp_path, shape, text, secret):
    path = tmp_path / "events.jsonl"
    path.write_text(f'{{"event_type": "text", "content": "hello"}}\n{text}\n')
    assert scrub_file(path) is True
    assert secret not in path.read_text()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pass@host/x", "https://user:[REDACTED]@host/x"),
        ('{"password": 12345, "use_token": true, "api_key": null}', '{"password": "[REDACTED]", "use_token": true, "api_key": null}'),
        ("Authorization: Bearer abcdefghijklmnop123", "Authorization: Bearer [REDACTED]"),
        (
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg\n-----END EC PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----\n[REDACTED]\n-----END EC PRIVATE KEY-----",
        ),
        (r'{\"api_key\": \"sk-abc\"}', r'{\"api_key\": \"[REDACTED]\"}'),
        ("--password hunter2 --verbose", "--password [REDACTED] --verbose"),
    ],
)
def test_redaction_keeps_the_surrounding_syntax(text, expected):
    assert scrub_text(text) == expected


def test_json_stays_json_after_scrubbing():
    line = json.dumps({"data": {"arguments": json.dumps({"api_key": "sk-proj-" + "a1" * 20, "password": 42, "n": None})}})
    scrubbed = json.loads(scrub_text(line))
    assert json.loads(scrubbed["data"]["arguments"]) == {"api_key": REDACTED, "password": REDACTED, "n": None}


ORDINARY = [
    "input_tokens: 12, output_tokens=30, max_tokens: 4096, total_tokens=42, reasoning_tokens: 0",
    '{"token_usage": {"input_tokens": 120}, "token_source": "api", "tokens": 3}',
    "Bearer tokens are sent in a header; the Bearer Authentication scheme.",
    "What are the key differences between TCP and UDP? Key axes: connection, ordering.",
    "a key: the value of a map entry; the key: a word",
    '{"answer_hash": "5f4dcc3b5aa765d61d8327deb882cf99", "id": "0123456789abcdef0123456789abcdef"}',
    '{"tool_call_id": "call_Zq8xT0pAbCdEf0123456789", "session_id": "log_20261124_045018_378157"}',
    '{"key": "model", "keys": ["a", "b"], "cache_key": "gpt-4o-mini"}',
    "2026-11-24T04:50:20.123456 | INFO | model gpt-4o-mini answered in 3.2 s (gpt-4o, claude-sonnet-4-5)",
    "pip install scikit-learn (sk-learn) for the task-force; ask-me-anything",
    "see https://example.com/path?q=1 and https://medium.com/@author/post and git@github.com:o/r.git",
    "commit: e1e7d686bd520db0f3e2609748df19d08bbfa362",
    "uuid 550e8400-e29b-41d4-a716-446655440000 under key: 550e8400-e29b-41d4-a716-446655440000",
    "The passwords were hashed; monkey keyboard keywords tokenizer author significant",
    "if token == expected: return key.lower()",
    '"secrets": {"github": "x"}',
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_massgen_content_is_left_alone(text):
    assert scrub_text(text) == text


def test_a_base64_blob_is_not_mistaken_for_keys():
    import base64
    import random

    blob = base64.b64encode(random.Random(7).randbytes(3 * 1024 * 1024))
    urlsafe = base64.urlsafe_b64encode(random.Random(8).randbytes(3 * 1024 * 1024))
    assert scrub_bytes(blob) == blob
    assert scrub_bytes(urlsafe) == urlsafe


def test_structures_redact_random_values_under_secret_like_keys_only():
    digest = "5f4dcc3b5aa765d61d8327deb882cf99"
    assert scrub({"key": digest, "answer_hash": digest, "signature": "model", "auth": {"token": "x"}}) == {
        "key": REDACTED,
        "answer_hash": digest,
        "signature": "model",
        "auth": {"token": REDACTED},
    }
