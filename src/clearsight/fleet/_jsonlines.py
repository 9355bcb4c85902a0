"""Reading a JSON array item by item so each item keeps the line it starts on."""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator

_WHITESPACE = " \t\r\n"


def _skip(text: str, position: int) -> int:
    while position < len(text) and text[position] in _WHITESPACE:
        position += 1
    return position


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


class _Lines:
    """Line numbers for increasing positions, counting each newline once."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._position = 0
        self._line = 1

    def at(self, position: int) -> int:
        if position < self._position:
            return _line(self._text, position)
        self._line += self._text.count("\n", self._position, position)
        self._position = position
        return self._line


def _expect(text: str, position: int, char: str) -> int:
    position = _skip(text, position)
    if position >= len(text) or text[position] != char:
        found = repr(text[position]) if position < len(text) else "end of file"
        raise ValueError(f"line {_line(text, position)}: expected {char!r}, found {found}")
    return position + 1


def _array_items(
    text: str, position: int, decoder: json.JSONDecoder
) -> Generator[tuple[int, object], None, int]:
    """Yields the items of the array at ``position``; returns the position after it."""
    position = _expect(text, position, "[")
    lines = _Lines(text)
    position = _skip(text, position)
    if position < len(text) and text[position] == "]":
        return position + 1
    while True:
        position = _skip(text, position)
        try:
            item, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise ValueError(f"line {error.lineno}: {error.msg}") from error
        yield lines.at(position), item
        position = _skip(text, end)
        if position < len(text) and text[position] == "]":
            return position + 1
        position = _expect(text, position, ",")


def json_array_items(text: str, key: str) -> Iterator[tuple[int, object]]:
    """Items of a top-level array, or of the array under ``key`` in a top-level object, each
    with its starting line, one at a time (a large inventory is never held twice). Raises
    ValueError naming the line of a syntax error, when iteration reaches it."""
    decoder = json.JSONDecoder()
    position = _skip(text, 0)
    if position < len(text) and text[position] == "[":
        end = yield from _array_items(text, position, decoder)
    else:
        position = _expect(text, position, "{")
        end = position
        found = False
        while True:
            position = _skip(text, position)
            if position < len(text) and text[position] == "}" and not found:
                raise ValueError(f"the object has no {key!r} array")
            try:
                name, position = decoder.raw_decode(text, position)
            except json.JSONDecodeError as error:
                raise ValueError(f"line {error.lineno}: {error.msg}") from error
            position = _expect(text, position, ":")
            if name == key:
                position = yield from _array_items(text, position, decoder)
                found = True
            else:
                try:
                    _, position = decoder.raw_decode(text, _skip(text, position))
                except json.JSONDecodeError as error:
                    raise ValueError(f"line {error.lineno}: {error.msg}") from error
            position = _skip(text, position)
            if position < len(text) and text[position] == "}":
                if not found:
                    raise ValueError(f"the object has no {key!r} array")
                end = position + 1
                break
            position = _expect(text, position, ",")
    if _skip(text, end) != len(text):
        raise ValueError(f"line {_line(text, end)}: extra data after the inventory")
