"""Property-based: whatever bytes a file holds, each parser either returns
(possibly with warnings) or raises RunFormatError naming the file. Never
another exception, never a hang."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.massgen import RunFormatError, read_session
from analysis.massgen.clock import RunClock
from analysis.massgen.coordination import read_coordination
from analysis.massgen.events_jsonl import read_events_jsonl
from analysis.massgen.jsonstream import iter_json_stream
from analysis.massgen.massgen_log import read_massgen_log
from analysis.massgen.metadata import read_metadata
from analysis.massgen.metrics import read_metrics
from analysis.massgen.snapshots import read_snapshot_mappings
from analysis.massgen.status import read_status
from analysis.massgen.streaming_debug import read_streaming_debug
from analysis.massgen.summary import summarize
from analysis.redaction.scrub import scrub, scrub_text
from tests.reader.support import attempt_folder, sample, writable_copy

CLOCK = RunClock(None)
EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

PARSERS = {
    "status.json": lambda path: read_status(path, "status.json"),
    "metrics_summary.json": lambda path: read_metrics(path, "metrics_summary.json"),
    "coordination_events.json": lambda path: read_coordination(path, "coordination_events.json", CLOCK),
    "events.jsonl": lambda path: read_events_jsonl(path, "events.jsonl", CLOCK),
    "streaming_debug.log": lambda path: read_streaming_debug(path, "streaming_debug.log", CLOCK, date(2026, 11, 24)),
    "massgen.log": lambda path: read_massgen_log(path, "massgen.log"),
    "execution_metadata.yaml": lambda path: read_metadata(path, "execution_metadata.yaml"),
    "snapshot_mappings.json": lambda path: read_snapshot_mappings(path, "snapshot_mappings.json"),
}
# A real file of each kind, to mangle.
_OLD_RUN = attempt_folder(sample("palindrome-3agents-http-errors", "0.1.43").run)
_NEW_RUN = attempt_folder(sample("bloom-filter-3agents-mixed-backends", "0.1.97").run)
ORIGINALS = {name: (_OLD_RUN if name == "streaming_debug.log" else _NEW_RUN) / name for name in PARSERS}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30,
)


@st.composite
def mangled(draw, original: bytes) -> bytes:
    """A real file, cut, with bytes flipped, inserted or removed."""
    data = bytearray(original[: draw(st.integers(0, len(original)))] if draw(st.booleans()) else original)
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(data)))
        operation = draw(st.sampled_from(["flip", "insert", "delete"]))
        if operation == "flip" and position < len(data):
            data[position] ^= draw(st.integers(1, 255))
        elif operation == "insert":
            data[position:position] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[position : position + draw(st.integers(1, 64))]
    return bytes(data)


def _parse(name: str, folder: Path, data: bytes) -> None:
    path = folder / name
    path.write_bytes(data)
    try:
        PARSERS[name](path)
    except RunFormatError as error:
        assert error.file == name and error.reason


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("garbage")


@pytest.mark.parametrize("name", PARSERS)
@EXAMPLES
@given(data=st.binary(max_size=4096))
def test_each_parser_survives_random_bytes(scratch, name, data):
    _parse(name, scratch, data)


@pytest.mark.parametrize("name", PARSERS)
@EXAMPLES
@given(data=st.data())
def test_each_parser_survives_a_mangled_real_file(scratch, name, data):
    _parse(name, scratch, data.draw(mangled(ORIGINALS[name].read_bytes())))


@pytest.mark.parametrize("name", [name for name in PARSERS if name.endswith(".json")])
@EXAMPLES
@given(value=json_values)
def test_each_json_parser_survives_valid_json_of_the_wrong_shape(scratch, name, value):
    _parse(name, scratch, json.dumps(value).encode())


@EXAMPLES
@given(
    values=st.lists(
        json_values
        | st.fixed_dictionaries(
            {
                "event_type": st.sampled_from(["vote", "error", "tool_complete", "answer_submitted", "final_answer", "text"]),
                "data": json_values,
                "agent_id": json_values,
                "timestamp": json_values,
            }
        ),
        max_size=8,
    )
)
def test_events_jsonl_survives_lines_of_any_json(scratch, values):
    _parse("events.jsonl", scratch, b"\n".join(json.dumps(value).encode() for value in values))


@EXAMPLES
@given(value=json_values)
def test_execution_metadata_survives_yaml_of_any_shape(scratch, value):
    _parse("execution_metadata.yaml", scratch, yaml.safe_dump({"config": value, "query": value, "timestamp": value}).encode())


def test_execution_metadata_refuses_a_billion_laughs(scratch):
    laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"{chr(98 + level)}: &{chr(98 + level)} [{', '.join([f'*{chr(97 + level)}'] * 9)}]" for level in range(8)]
    (scratch / "execution_metadata.yaml").write_text("\n".join(["config:", *("  " + line for line in laughs)]))
    with pytest.raises(RunFormatError, match="MAX_CONFIG_NODES"):
        PARSERS["execution_metadata.yaml"](scratch / "execution_metadata.yaml")


@pytest.fixture(scope="module")
def run_copy(tmp_path_factory):
    return writable_copy(sample("crisis2008-3agents-split-vote", "0.1.43").run, tmp_path_factory.mktemp("run"))


@pytest.mark.parametrize("name", [*PARSERS, "vote.json"])
@EXAMPLES
@given(data=st.data())
def test_the_whole_reader_survives_any_one_file_mangled(run_copy, name, data):
    folder = attempt_folder(run_copy)
    target = next(folder.glob("*/*/vote.json")) if name == "vote.json" else folder / name
    if not target.exists():  # events.jsonl in a 0.1.43 run: add one
        shutil.copy(ORIGINALS[name], target)
    original = target.read_bytes()
    target.write_bytes(data.draw(mangled(original)))
    try:
        summary = summarize(read_session(run_copy))
        assert summary["turns"][0]["attempts"][0]["agents"]
    except RunFormatError:
        pass
    finally:
        target.write_bytes(original)


@EXAMPLES
@given(metadata=json_values, events=st.lists(json_values, max_size=12), indent=st.sampled_from([None, 0, 2]))
def test_the_json_stream_yields_exactly_what_json_loads_sees(scratch, metadata, events, indent):
    path = scratch / "stream.json"
    path.write_text(json.dumps({"session_metadata": metadata, "events": events}, indent=indent))
    streamed = list(iter_json_stream(path, "stream.json", "events"))
    assert streamed == [("session_metadata", metadata), *(("events", event) for event in events)]


fragments = st.sampled_from(
    ["api_key", "token", "max_tokens", "=", "==", ": ", '"', "'", "[REDACTED]", "sk-", "Bearer ", "AIza", "0123456789abcdef", " ", "\n"]
)


@settings(max_examples=200, deadline=None)
@given(text=st.lists(fragments | st.text(max_size=6), max_size=20).map("".join))
def test_scrubbing_twice_changes_nothing(text):
    once = scrub_text(text)
    assert scrub_text(once) == once
    assert scrub({"note": text}) == {"note": once}
