"""Properties of scrubbing that must hold for any input: a secret is found
wherever a file's pieces are cut, a file is scrubbed exactly like the same
bytes held whole, and scrubbing twice changes nothing."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from analysis.redaction import files
from analysis.redaction.scrub import SCRUB_FILE_PIECE_BYTES, may_hold_secret, scrub_bytes, scrub_file, scrub_text
from tests.redaction.test_corpus import PLANTED

# Small pieces, so that a test file of ~100 KB is cut several times; the
# overlap stays the real one.
TEST_PIECE_BYTES = 4096
FILLER = (b'{"event_type": "text", "data": {"input_tokens": 12, "content": "the token usage key points"}}\n' * 2000)[:100_000]
SHAPES = {shape: (text.encode(), secret.encode()) for shape, text, secret in PLANTED}


@pytest.fixture
def small_pieces(monkeypatch):
    monkeypatch.setattr(files, "SCRUB_FILE_PIECE_BYTES", TEST_PIECE_BYTES)


def _piece_boundaries(size: int) -> list[int]:
    """Where scrub_file's rounds hand over to the next for a file of `size` bytes."""
    boundaries, limit = [], files.MAX_LOOKBEHIND + TEST_PIECE_BYTES
    while limit < size - files.PIECE_OVERLAP_BYTES:
        boundaries.append(limit)
        limit += TEST_PIECE_BYTES
    return boundaries


def _scrubbed_file(tmp_path, data: bytes) -> tuple[bool, bytes]:
    path = tmp_path / "events.jsonl"
    path.write_bytes(data)
    changed = scrub_file(path)
    return changed, path.read_bytes()


def test_the_test_file_is_cut_into_several_pieces():
    assert len(_piece_boundaries(len(FILLER))) >= 5


@pytest.mark.parametrize("shape", ["json-escaped assignment", "jwt", "pem private key", "url userinfo", "bearer of letters only"])
def test_a_secret_planted_at_every_offset_around_a_piece_boundary_is_removed(tmp_path, small_pieces, shape):
    text, secret = SHAPES[shape]
    boundary = _piece_boundaries(len(FILLER))[2]
    for offset in range(boundary - len(text) - 2, boundary + 3):
        data = FILLER[:offset] + b"\n" + text + b"\n" + FILLER[offset:]
        changed, scrubbed = _scrubbed_file(tmp_path, data)
        assert changed and secret not in scrubbed, offset
        assert scrubbed == scrub_bytes(data), offset


def test_a_secret_across_the_real_piece_boundary_is_removed(tmp_path):
    text, secret = SHAPES["json-escaped assignment"]
    boundary = files.MAX_LOOKBEHIND + SCRUB_FILE_PIECE_BYTES
    for offset in (boundary - len(text) // 2, boundary - 1, boundary):
        data = b"x" * offset + b" " + text + b"\n" + b"y" * files.PIECE_OVERLAP_BYTES
        changed, scrubbed = _scrubbed_file(tmp_path, data)
        assert changed and secret not in scrubbed


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.sampled_from(sorted(SHAPES)), which=st.integers(0, 4), delta=st.integers(-300, 300))
def test_any_planted_secret_near_any_boundary_is_removed_as_if_the_file_were_whole(tmp_path, small_pieces, shape, which, delta):
    text, secret = SHAPES[shape]
    offset = _piece_boundaries(len(FILLER))[which] + delta
    data = FILLER[:offset] + b" " + text + b" " + FILLER[offset:]
    changed, scrubbed = _scrubbed_file(tmp_path, data)
    assert secret not in scrubbed
    assert changed and scrubbed == scrub_bytes(data)


FRAGMENTS = [
    "api_key", "API_KEY", "apiKey", "token", "access_token", "max_tokens", "password", "secret", "Authorization", "key",
    "Bearer ", "bearer", "sk-", "sk_live_", "xoxb-", "ghp_", "hf_", "AIza", "AKIA", "eyJ", "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----", "://", "https://u:", "@", "/", "=", "==", ":", ": ", '"', "'", "\\", '\\"', "\\n", "\n",
    " ", ",", ".", "-", "_", "--", "[REDACTED]", "[", "]", "{", "}", "null", "true", "0123456789abcdef0123456789abcdef",
    "a1B2c3D4e5F6g7H8i9J0k1L2", "Zq8xT0pSecretKey0123456789abcdef", "é", "\x00", "\udc80",
]
texts = st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=24).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=texts)
@example(text="https://u:p@ss@h")
@example(text="key: Zq8xT0pSecretKey0123456789abcdef-sk-0123456789abcdef0123")
def test_scrubbing_twice_changes_nothing(text):
    once = scrub_text(text)
    assert scrub_text(once) == once
    masked = scrub_bytes(text.encode("utf-8", "surrogatepass"), keep_length=True)
    assert scrub_bytes(masked, keep_length=True) == masked
    assert len(masked) == len(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(text=texts)
def test_text_without_any_marker_is_returned_unchanged(text):
    if not may_hold_secret(text.encode("utf-8", "surrogatepass")):
        assert scrub_text(text) == text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(texts, min_size=1, max_size=6), cuts=st.lists(st.integers(0, len(FILLER)), min_size=1, max_size=6))
def test_a_file_is_scrubbed_exactly_like_its_bytes_held_whole(tmp_path, small_pieces, parts, cuts):
    data = FILLER
    for part, cut in sorted(zip(parts, cuts), key=lambda pair: -pair[1]):
        data = data[:cut] + part.encode("utf-8", "surrogatepass") + data[cut:]
    whole = scrub_bytes(data, keep_length=b"\0" in data[: files.BINARY_SNIFF_BYTES])
    changed, scrubbed = _scrubbed_file(tmp_path, data)
    assert scrubbed == whole
    assert changed == (whole != data)
