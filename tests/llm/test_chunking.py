"""Cutting raw material loses nothing and keeps every piece under its section key."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.report.input import AnalysisInput, RawPart
from analysis.engine.analyzer import ReportInvalid, validate_report
from analysis.compression.chunking import cut_text, render, split_into_pieces, take_chunk
from analysis.llm.modelinfo import ModelInfo

MODEL = ModelInfo("m", "openai", "openai/gpt-5-mini", "responses", 400_000, 128_000, 1e-7, 1e-6, None, True, False)
text_with_lines = st.lists(st.text(max_size=200), max_size=30).map("\n".join)


@given(text_with_lines, st.integers(min_value=1, max_value=300))
def test_cutting_keeps_every_character_and_respects_the_size(text, size):
    slices = cut_text(text, size)

    assert "".join(slices) == text
    assert all(0 < len(piece) <= size for piece in slices)


@settings(max_examples=30, deadline=None)
@given(st.lists(text_with_lines.filter(str.strip), min_size=1, max_size=4), st.integers(min_value=5, max_value=60))
def test_rendering_all_pieces_gives_back_the_raw_material(texts, piece_tokens):
    parts = tuple(RawPart(f"key{index}", f"Part {index}", text) for index, text in enumerate(texts))

    pieces = split_into_pieces(MODEL, parts, piece_tokens)

    assert render(pieces) == AnalysisInput("t", "f", parts).raw_text()


def test_a_part_cut_across_chunks_repeats_its_heading_and_key_marked_continued():
    part = RawPart("trace:agent_a", "Trace of agent_a", "\n".join(f"agent1.{n} ran pytest" for n in range(400)))
    pieces = split_into_pieces(MODEL, (part,), piece_tokens=100)

    end = take_chunk(pieces, 0, capacity=300, fits=lambda end: True)
    second = render(pieces[end:])

    assert render(pieces[:end]).startswith("## Trace of agent_a [trace:agent_a]\n\n")
    assert second.startswith("## Trace of agent_a [trace:agent_a] (continued)\n\n")


def test_take_chunk_backs_off_until_the_exact_count_fits():
    pieces = split_into_pieces(MODEL, (RawPart("k", "t", "line\n" * 2_000),), piece_tokens=50)

    assert take_chunk(pieces, 0, capacity=10_000, fits=lambda end: end <= 3) == 3
    assert take_chunk(pieces, 0, capacity=10_000, fits=lambda end: False) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)


@given(json_values)
def test_validation_rejects_anything_with_a_message_and_never_crashes(value):
    try:
        validate_report(json.dumps(value))
    except ReportInvalid as error:
        assert str(error)
