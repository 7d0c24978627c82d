import json

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.redaction.scrub import BINARY_SNIFF_BYTES, SCRUB_FILE_PIECE_BYTES, may_hold_secret, scrub_file, scrub_text

SECRET = "sk-proj-" + "Q1w2E3r4" * 6


def test_it_redacts_secret_lines_and_copies_the_rest_byte_for_byte(tmp_path):
    path = tmp_path / "events.jsonl"
    clean = json.dumps({"event_type": "text", "data": {"input_tokens": 12, "content": "caf\u00e9"}}) + "\n"
    dirty = json.dumps({"event_type": "tool_start", "data": {"api_key": SECRET, "q": "x"}}) + "\n"
    path.write_text(clean + dirty + clean)

    assert scrub_file(path) is True

    lines = path.read_text().splitlines(keepends=True)
    assert lines[0] == clean and lines[2] == clean
    assert json.loads(lines[1])["data"] == {"api_key": "[REDACTED]", "q": "x"}


def test_it_leaves_a_file_without_secrets_untouched(tmp_path):
    path = tmp_path / "massgen.log"
    path.write_bytes(b"12:00:00 | INFO | input_tokens: 12, max_tokens=3\n\xff not utf-8\n")
    before = path.stat().st_mtime_ns, path.read_bytes()
    assert scrub_file(path) is False
    assert (path.stat().st_mtime_ns, path.read_bytes()) == before
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_it_keeps_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "massgen.log"
    path.write_bytes(b"\xfe\xff token: " + SECRET.encode() + b"\n")
    assert scrub_file(path) is True
    assert path.read_bytes() == b"\xfe\xff token: [REDACTED]\n"


def test_it_masks_secrets_in_binary_files_keeping_their_length(tmp_path):
    path = tmp_path / "massgen.log.zip"
    data = b"PK\x03\x04\x00" + SECRET.encode() + b"\x00tail"
    path.write_bytes(data)
    assert scrub_file(path) is True
    scrubbed = path.read_bytes()
    assert len(scrubbed) == len(data) and SECRET.encode() not in scrubbed
    assert scrubbed == b"PK\x03\x04\x00[REDACTED]" + b"*" * (len(SECRET) - 10) + b"\x00tail"
    assert BINARY_SNIFF_BYTES >= 5
    assert scrub_file(path) is False  # masking twice changes nothing


def test_a_nul_byte_anywhere_does_not_stop_the_scan(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00" * 100 + b"\n" + b"x" * BINARY_SNIFF_BYTES * 3 + b" api_key=" + SECRET.encode() + b"\n")
    assert scrub_file(path) is True
    assert SECRET.encode() not in path.read_bytes()


def test_a_rewritten_file_keeps_its_mode(tmp_path):
    path = tmp_path / "answer.txt"
    path.write_text(f"token: {SECRET}\n")
    path.chmod(0o640)
    assert scrub_file(path) is True
    assert path.stat().st_mode & 0o777 == 0o640
    assert list(tmp_path.iterdir()) == [path]


def test_a_single_huge_line_is_read_in_pieces(tmp_path):
    path = tmp_path / "streaming_debug.log"
    filler = "x" * (SCRUB_FILE_PIECE_BYTES + 10)
    path.write_text(f"{filler} Bearer {SECRET}\n")
    assert scrub_file(path) is True
    assert SECRET not in path.read_text()


FRAGMENTS = [
    "sk-", "Sk-", "AIza", "xai-", "hf_", "AKIA", "Bearer ", "api_key", "ApiKey", "OPENAI_API_KEY", "private-key",
    "access__key", "secret", "password", "pwd", "credential", "Authorization", "cookie", "token", "access_token",
    "max_tokens", "input_tokens", "key", '"', "'", ":", "=", " ", "\n", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "-", "_", ".",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_the_prefilter_passes_every_line_scrubbing_would_change(parts):
    line = "".join(parts)
    if scrub_text(line) != line:
        assert may_hold_secret(line.encode().lower()), line
