"""Cutting raw material into pieces and packing pieces into chunks that fit a token
budget, keeping every piece under its section's heading and key so that whatever
reads a chunk can still cite where a fact came from."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby

from analysis.report.input import RawPart
from analysis.llm.tokens import count_text_tokens
from analysis.llm.modelinfo import ModelInfo

# Fine enough that a chunk ends close to its budget, coarse enough that a large run
# is counted in few tokenizer calls.
PIECE_TOKENS = 400


@dataclass(frozen=True)
class Piece:
    key: str
    title: str
    text: str
    tokens: int  # estimated from the part's characters per token; exact counts are made per chunk
    continued: bool  # the part started in an earlier piece


def split_into_pieces(model: ModelInfo, parts: Sequence[RawPart], piece_tokens: int = PIECE_TOKENS) -> list[Piece]:
    pieces: list[Piece] = []
    for part in parts:
        total = count_text_tokens(model, part.text)
        if total <= piece_tokens:
            pieces.append(Piece(part.key, part.title, part.text, total, continued=False))
            continue
        tokens_per_char = total / len(part.text)
        size = max(1, int(piece_tokens / tokens_per_char))
        for index, text in enumerate(cut_text(part.text, size)):
            pieces.append(Piece(part.key, part.title, text, math.ceil(len(text) * tokens_per_char), index > 0))
    return pieces


def cut_text(text: str, size: int) -> list[str]:
    """Slices of at most `size` characters, on line ends where the lines allow."""
    slices: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if len(current) + len(line) > size and current:
            slices.append(current)
            current = ""
        while len(line) > size:
            slices.append(line[:size])
            line = line[size:]
        current += line
    if current:
        slices.append(current)
    return slices


def render(pieces: Sequence[Piece]) -> str:
    """The pieces as sections, in the same layout as AnalysisInput.raw_text()."""
    blocks = []
    for key, group in groupby(pieces, key=lambda piece: piece.key):
        run = list(group)
        suffix = " (continued)" if run[0].continued else ""
        blocks.append(f"## {run[0].title} [{key}]{suffix}\n\n" + "".join(piece.text for piece in run))
    return "\n\n".join(blocks)


def keys_of(pieces: Sequence[Piece]) -> list[str]:
    return list(dict.fromkeys(piece.key for piece in pieces))


def take_chunk(pieces: Sequence[Piece], start: int, capacity: int, fits: Callable[[int], bool]) -> int:
    """The end (exclusive) of the longest run of pieces from `start` whose estimated
    size stays within `capacity` and for which `fits(end)` (an exact count) agrees;
    `start` itself when not even one piece fits."""
    end, size = start, 0
    while end < len(pieces) and size + pieces[end].tokens <= capacity:
        size += pieces[end].tokens
        end += 1
    while end > start and not fits(end):
        end -= 1
    return end
