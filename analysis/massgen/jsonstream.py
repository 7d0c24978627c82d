"""Streaming read of one big JSON document whose bulk is a single array
(coordination_events.json: `{"session_metadata": {...}, "events": [...]}`, or a
bare array in older MassGen). The array's items are decoded one at a time, so
memory is bounded by the largest item, not the file; and a file cut off
mid-write still yields every item before the cut."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from analysis.massgen.errors import RunFormatError

# One array item (or one top-level value other than the streamed array) larger
# than this is refused; MassGen's largest items carry every answer's text once.
MAX_JSON_ITEM_CHARS = 64 * 1024 * 1024

_FIRST_READ = 1 << 20
_WHITESPACE = " \t\r\n"
_DECODER = json.JSONDecoder()


class _Reader:
    def __init__(self, handle: Any, name: str):
        self._handle = handle
        self._name = name
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.text = ""
        self.pos = 0
        self._dropped = 0  # characters discarded before self.text
        self.eof = False

    def fail(self, reason: str) -> RunFormatError:
        return RunFormatError(self._name, f"{reason} at character {self._dropped + self.pos}")

    def fill(self, size: int) -> None:
        if self.eof:
            return
        # Keep only the unread tail, so memory stays bounded by one item.
        if self.pos:
            self._dropped += self.pos
            self.text = self.text[self.pos :]
            self.pos = 0
        try:
            data = self._handle.read(size)
        except OSError as exc:
            raise RunFormatError(self._name, f"cannot be read ({exc.strerror or exc})") from None
        if not data:
            self.eof = True
            self.text += self._decoder.decode(b"", final=True)
        else:
            self.text += self._decoder.decode(data)

    def peek(self) -> str | None:
        while True:
            while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.text):
                return self.text[self.pos]
            if self.eof:
                return None
            self.fill(_FIRST_READ)

    def expect(self, accepted: str) -> str:
        char = self.peek()
        if char is None:
            raise self.fail(f"ends early (expected one of {accepted!r})")
        if char not in accepted:
            raise self.fail(f"has {char!r} where one of {accepted!r} was expected")
        self.pos += 1
        return char

    def value(self) -> Any:
        if self.peek() is None:
            raise self.fail("ends early (expected a value)")
        read_size = _FIRST_READ
        while True:
            try:
                value, end = _DECODER.raw_decode(self.text, self.pos)
            except json.JSONDecodeError as exc:
                if self.eof:
                    raise self.fail(f"is not valid JSON ({exc.msg})") from None
            except RecursionError:
                raise self.fail("nests too deeply") from None
            else:
                # A number at the very end of the buffer may continue in the next read.
                if end < len(self.text) or self.eof:
                    self.pos = end
                    return value
            if len(self.text) - self.pos > MAX_JSON_ITEM_CHARS:
                raise self.fail(f"has an item larger than {MAX_JSON_ITEM_CHARS} characters (MAX_JSON_ITEM_CHARS)")
            self.fill(read_size)
            read_size = min(read_size * 2, MAX_JSON_ITEM_CHARS)


def _array_items(reader: _Reader) -> Iterator[Any]:
    reader.expect("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield reader.value()
        if reader.expect(",]") == "]":
            return


def iter_json_stream(path: Path, name: str, stream_key: str) -> Iterator[tuple[str, Any]]:
    """Yield `(key, value)` for each top-level member of the document, except
    that the array under `stream_key` is yielded item by item as
    `(stream_key, item)`. A top-level array is treated as that array.

    Raises RunFormatError where the document stops being readable; everything
    yielded before that point is valid."""
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise RunFormatError(name, f"cannot be read ({exc.strerror or exc})") from None
    with handle:
        reader = _Reader(handle, name)
        first = reader.peek()
        if first is None:
            raise RunFormatError(name, "is empty")
        if first == "[":
            for item in _array_items(reader):
                yield stream_key, item
            return
        reader.expect("{")
        if reader.peek() == "}":
            return
        while True:
            if reader.peek() != '"':
                raise reader.fail("has no member name where one was expected")
            key = reader.value()
            reader.expect(":")
            if key == stream_key and reader.peek() == "[":
                for item in _array_items(reader):
                    yield stream_key, item
            else:
                yield key, reader.value()
            if reader.expect(",}") == "}":
                break
        if reader.peek() is not None:
            raise reader.fail("has data after the document")
