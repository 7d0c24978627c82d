"""Secrets never leave the reader: not from the config, not from the event
stream, not from answers, not in the summary."""

from __future__ import annotations

import json

import pytest
import yaml

from analysis.massgen import read_session
from analysis.massgen.cli import render_table
from analysis.massgen.summary import summarize
from analysis.redaction.scrub import REDACTED, is_secret_key, scrub, scrub_text
from tests.reader.support import attempt_folder, sample, writable_copy

OPENAI_KEY = "sk-proj-Zq8xT0pSecretKey0123456789abcdef"
ANTHROPIC_KEY = "sk-ant-api03-QwErTy0123456789-abcdefghij"
GOOGLE_KEY = "AIzaSyD-0123456789abcdefghijklmnopqrstu"
XAI_KEY = "xai-0123456789abcdefghijKLMNOP"
BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.payload123.signature"


@pytest.mark.parametrize(
    "key",
    [
        "api_key",
        "API_KEY",
        "openai_api_key",
        "OPENAI_API_KEY",
        "apiKey",
        "x-api-key",
        "apikey",
        "access_token",
        "accessToken",
        "auth_token",
        "hf_token",
        "token",
        "secret",
        "client_secret",
        "aws_secret_access_key",
        "password",
        "db_password",
        "Authorization",
        "private_key",
    ],
)
def test_it_treats_credential_names_as_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "max_tokens",
        "input_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cached_input_tokens",
        "total_tokens",
        "max_completion_tokens",
        "tokens",
        "token_usage",
        "token_source",
        "token_count",
        "tokenizer",
        "key",
        "monkey",
        "keywords",
        "model",
    ],
)
def test_it_leaves_token_counts_and_ordinary_names_alone(key):
    assert not is_secret_key(key)


@pytest.mark.parametrize("secret", [OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_KEY, XAI_KEY, BEARER])
def test_it_redacts_key_shaped_values_anywhere_in_text(secret):
    scrubbed = scrub_text(f"request failed with {secret} (retrying)")
    assert secret not in scrubbed and REDACTED in scrubbed
    assert scrubbed.startswith("request failed with ") and scrubbed.endswith(" (retrying)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("export OPENAI_API_KEY=abc123def", "export OPENAI_API_KEY=[REDACTED]"),
        ('{"api_key": "plain-value", "max_tokens": 100}', '{"api_key": "[REDACTED]", "max_tokens": 100}'),
        ("password: hunter2", "password: [REDACTED]"),
        ("max_tokens: 4096, input_tokens=12", "max_tokens: 4096, input_tokens=12"),
        ("pip install scikit-learn (sk-learn) for the task-force", "pip install scikit-learn (sk-learn) for the task-force"),
        ("Bearer tokens are sent in a header", "Bearer tokens are sent in a header"),
    ],
)
def test_it_redacts_secret_assignments_in_text_and_nothing_else(text, expected):
    assert scrub_text(text) == expected


def test_it_redacts_whatever_sits_under_a_secret_key_in_a_structure():
    config = {
        "agents": [{"backend": {"type": "openai", "api_key": "not-key-shaped", "max_tokens": 500, "headers": {"Authorization": "x"}}}],
        "secrets": {"github": "abc", "nested": ["one", 2]},
        "use_token": True,
        "access_token": None,
        "note": f"key {OPENAI_KEY}",
    }
    assert scrub(config) == {
        "agents": [{"backend": {"type": "openai", "api_key": REDACTED, "max_tokens": 500, "headers": {"Authorization": REDACTED}}}],
        "secrets": {"github": REDACTED, "nested": [REDACTED, REDACTED]},
        "use_token": True,  # says whether one is configured, reveals nothing
        "access_token": None,
        "note": f"key {REDACTED}",
    }


def test_it_survives_absurdly_deep_structures():
    deep: list = []
    cursor = deep
    for _ in range(5_000):
        cursor.append([])
        cursor = cursor[0]
    assert scrub({"a": deep}) is not None


@pytest.fixture
def run_with_secrets(tmp_path):
    """A real 0.1.97 run into which a user's inline keys leaked everywhere
    MassGen can put them before 0.1.80 redacts its streams."""
    run = writable_copy(sample("tcp-udp-2agents-basic", "0.1.97").run, tmp_path)
    folder = attempt_folder(run)
    metadata_file = folder / "execution_metadata.yaml"
    metadata = yaml.safe_load(metadata_file.read_text())
    backend = metadata["config"]["agents"][0]["backend"]
    backend["api_key"] = OPENAI_KEY
    backend["extra_headers"] = {"Authorization": BEARER}
    metadata["config"]["agents"][1]["backend"]["api_key"] = "plain-inline-key-123"
    metadata["query"] = f"{metadata['query']} (my key is {GOOGLE_KEY})"
    metadata_file.write_text(yaml.safe_dump(metadata))
    stream = folder / "events.jsonl"
    error = {
        "timestamp": "2026-11-24T04:50:20.000000",
        "event_type": "error",
        "agent_id": "gpt-5-mini",
        "round_number": 0,
        "data": {"message": f"401 Unauthorized for api_key={OPENAI_KEY}"},
    }
    lines = stream.read_bytes().splitlines(keepends=True)
    stream.write_bytes(b"".join([*lines[:5], json.dumps(error).encode() + b"\n", *lines[5:]]))
    coordination_file = folder / "coordination_events.json"
    coordination = json.loads(coordination_file.read_text())
    for event in coordination["events"]:
        if event["event_type"] == "vote_cast":
            event["context"]["reason"] += f" token={ANTHROPIC_KEY}"
    coordination["events"].insert(
        3,
        {
            "timestamp": coordination["events"][2]["timestamp"],
            "event_type": "agent_error",
            "agent_id": "claude-sonnet-4-5",
            "details": f"ERROR: invalid x-api-key {ANTHROPIC_KEY}",
            "context": {"iteration": 1, "round": 0},
        },
    )
    coordination_file.write_text(json.dumps(coordination))
    answer = next(folder.glob("gpt-5-mini/*/answer.txt"))
    answer.write_text(answer.read_text() + f"\nDebug: OPENAI_API_KEY={OPENAI_KEY}\n")
    return run


SECRETS = (OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_KEY, BEARER.split()[1], "plain-inline-key-123")


def _leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def test_it_redacts_an_inline_api_key_everywhere_it_hands_out(run_with_secrets):
    session = read_session(run_with_secrets)
    attempt = session.turns[0].accepted_attempt
    summary = summarize(session)
    assert _leaks(json.dumps(summary)) == []
    assert _leaks(render_table(summary)) == []
    assert _leaks(repr(session)) == []  # every agent, answer, vote, event, error, config
    assert _leaks(json.dumps(dict(attempt.config))) == []
    assert attempt.config["agents"][0]["backend"]["api_key"] == REDACTED
    assert attempt.config["agents"][1]["backend"]["api_key"] == REDACTED
    assert attempt.agents[0].config["extra_headers"] == {"Authorization": REDACTED}
    assert _leaks(" ".join(event.details for event in attempt.events)) == []
    assert _leaks(" ".join(error.message for error in attempt.errors)) == []
    assert _leaks(" ".join(answer.read_text() for answer in attempt.answers)) == []
    assert "[REDACTED]" in attempt.answers[-1].read_text() or "[REDACTED]" in attempt.answers[0].read_text()


def test_it_still_reports_the_errors_whose_secrets_it_redacted(run_with_secrets):
    attempt = summarize(read_session(run_with_secrets))["turns"][0]["attempts"][0]
    messages = {(error["agent"], error["message"]) for error in attempt["errors"]}
    assert ("gpt-5-mini", "401 Unauthorized for api_key=[REDACTED]") in messages
    assert ("claude-sonnet-4-5", "invalid x-api-key [REDACTED]") in messages
