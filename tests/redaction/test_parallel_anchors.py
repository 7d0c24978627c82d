"""A big buffer's anchors are searched in parts at once (anchors.py); what
they find must be exactly what one search of the whole buffer finds, wherever
the parts are cut, since every redaction starts from an anchor."""

from __future__ import annotations

import random
import re
from re import _parser as sre_parse  # sre_parse before 3.11

import pytest

from analysis.redaction import anchors, engine
from analysis.redaction.anchors import ANCHOR_MAX_WIDTH, PARALLEL_FIND_MIN_BYTES, PART_MARGIN_BYTES
from analysis.redaction.rules import RULES
from analysis.redaction.scrub import scrub_bytes
from tests.redaction.test_corpus import PLANTED

# Text that holds anchors which are not secrets ("tokens", "key points") and
# secrets of every planted shape.
FILLER = b'{"event_type": "text", "data": {"input_tokens": 12, "content": "the token usage key points"}}\n'
SECRETS = [text.encode() for _, text, _ in PLANTED]


# Parts of this size in most tests: the same cuts and margins, in buffers small
# enough to search thousands of times.
SMALL_PART_BYTES = 16 * 1024


@pytest.fixture
def four_cores(monkeypatch):
    """Parts are cut per core: four, whatever this machine has."""
    monkeypatch.setattr(anchors.os, "sched_getaffinity", lambda _pid: set(range(4)))


@pytest.fixture
def small_parts(four_cores, monkeypatch):
    monkeypatch.setattr(anchors, "PARALLEL_FIND_MIN_BYTES", SMALL_PART_BYTES)


def whole(data) -> list[tuple[int, int]]:
    return engine._ANCHORS._find_in(data, 0, len(data), 0, len(data))


def _cuts(size: int) -> list[int]:
    return [own_start for _, _, own_start, _ in anchors._parts(size)][1:]


def _buffer(size: int, plants: list[tuple[int, bytes]]) -> bytes:
    data = bytearray((FILLER * (size // len(FILLER) + 1))[:size])
    for at, text in plants:
        data[at : at + len(text)] = text[: size - at]
    return bytes(data)


@pytest.mark.parametrize("expression", [expression for _, rule_anchors, _ in RULES for expression, _ in rule_anchors])
def test_no_anchor_expression_matches_more_than_the_margin_assumes(expression):
    # Python's parser reads Hyperscan's syntax here but for \z (its \Z).
    pattern = expression.decode("latin-1").replace("\\z", "\\Z")
    re.compile(pattern)
    _, longest = sre_parse.parse(pattern).getwidth()
    assert longest <= ANCHOR_MAX_WIDTH < PART_MARGIN_BYTES


def test_a_buffer_just_under_the_threshold_is_one_part_and_one_at_it_is_several(four_cores):
    assert len(anchors._parts(PARALLEL_FIND_MIN_BYTES - 1)) == 1
    assert len(anchors._parts(2 * PARALLEL_FIND_MIN_BYTES)) == 2
    assert len(anchors._parts(64 * PARALLEL_FIND_MIN_BYTES)) == anchors.MAX_FIND_THREADS


def test_without_an_affinity_call_every_core_counts(monkeypatch):
    monkeypatch.delattr(anchors.os, "sched_getaffinity")
    monkeypatch.setattr(anchors.os, "cpu_count", lambda: 2)
    assert len(anchors._parts(64 * PARALLEL_FIND_MIN_BYTES)) == 2


def test_one_core_means_one_part(monkeypatch):
    monkeypatch.setattr(anchors.os, "sched_getaffinity", lambda _pid: {0})
    assert anchors._parts(64 * PARALLEL_FIND_MIN_BYTES) == [(0, 64 * PARALLEL_FIND_MIN_BYTES, 0, 64 * PARALLEL_FIND_MIN_BYTES)]


@pytest.mark.parametrize("shape", range(len(SECRETS) + 2))
def test_an_anchor_across_a_cut_is_found_once_and_only_as_in_the_whole_buffer(small_parts, shape):
    size = 4 * SMALL_PART_BYTES + 1_234
    text = (SECRETS + [b" token=abc ", b"\\npassword: hunter2-secret"])[shape]
    for offset in range(-len(text) - 2, 3):
        data = _buffer(size, [(cut + offset, text) for cut in _cuts(size)])
        found = engine._ANCHORS.find(data)
        assert found == whole(data), offset
        assert any(abs(at - cut) <= len(text) for at, _ in found for cut in _cuts(size)), offset


def test_random_buffers_give_the_same_anchors_in_parts_and_whole(small_parts):
    rng = random.Random(15)
    alphabet = b"abcdefghijklmnopqrstuvwxyzTKAPS0123456789_-.:=\"'\\ \n/"
    for _ in range(50):
        size = rng.randrange(2 * SMALL_PART_BYTES, 6 * SMALL_PART_BYTES)
        data = bytearray(rng.choices(alphabet, k=size))
        for cut in _cuts(size):
            for _ in range(40):
                at = cut + rng.randrange(-PART_MARGIN_BYTES, PART_MARGIN_BYTES)
                secret = rng.choice(SECRETS)
                data[at : at + len(secret)] = secret
        assert engine._ANCHORS.find(data) == whole(data)


def test_a_big_buffer_is_scrubbed_exactly_as_when_searched_whole(four_cores, monkeypatch):
    # The real threshold and the anchor-dense filler: thousands of anchors per part.
    size = 3 * PARALLEL_FIND_MIN_BYTES
    data = _buffer(size, [(cut + offset, SECRETS[(cut + offset) % len(SECRETS)]) for cut in _cuts(size) for offset in range(-40, 40, 5)])
    in_parts = scrub_bytes(data)
    monkeypatch.setattr(anchors, "PARALLEL_FIND_MIN_BYTES", 1 << 40)
    assert anchors._parts(size) == [(0, size, 0, size)]
    assert in_parts == scrub_bytes(data)
    assert in_parts != data


def test_when_no_thread_can_be_started_the_caller_scans_every_part_itself(small_parts, monkeypatch):
    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(anchors.threading.Thread, "start", refuse)
    size = 4 * SMALL_PART_BYTES
    data = _buffer(size, [(cut - 3, SECRETS[0]) for cut in _cuts(size)])
    assert len(anchors._parts(size)) == 4
    assert engine._ANCHORS.find(data) == whole(data)
