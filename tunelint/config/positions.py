"""Positions, ranges and text edits: 0-based lines, columns in code points."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class Position(NamedTuple):
    """A place in a text (a tuple: ordering and hashing come free, and it is cheap to make)."""

    line: int
    column: int


_tuple_new = tuple.__new__  # NamedTuple's own __new__ is Python code; ranges are made per node


class Range(NamedTuple):
    start: Position
    end: Position

    @classmethod
    def of(cls, line: int, col: int, end_line: int, end_col: int) -> Range:
        start = _tuple_new(Position, (line, col))
        return _tuple_new(cls, (start, _tuple_new(Position, (end_line, end_col))))

    def contains(self, pos: Position) -> bool:
        return self.start <= pos <= self.end


DOCUMENT_START = Range.of(0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class TextEdit:
    """Replace the text in `range` by `new_text` (an empty range inserts)."""

    range: Range
    new_text: str


class LineIndex:
    """Converts between (line, column) and offsets of one text."""

    __slots__ = ("_starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
            # The YAML reader's line breaks, so that lines agree with the parser's marks.
            starts = [0, *(m.end() for m in _BREAKS.finditer(text))]
        else:
            starts = [0]
            find = text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
        self._starts = starts

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def offset(self, pos: Position) -> int:
        if pos.line >= len(self._starts):
            return len(self.text)
        return min(self._starts[pos.line] + pos.column, len(self.text))

    def position(self, offset: int) -> Position:
        from bisect import bisect_right

        line = bisect_right(self._starts, offset) - 1
        return Position(line, offset - self._starts[line])

    def line_text(self, line: int) -> str:
        """The line without its line break."""
        if line >= len(self._starts):
            return ""
        start = self._starts[line]
        end = self._starts[line + 1] if line + 1 < len(self._starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n\x85\u2028\u2029")

    def line_start(self, line: int) -> int:
        return self._starts[min(line, len(self._starts) - 1)]


def apply_edits(text: str, edits: list[TextEdit]) -> str:
    """Apply non-overlapping edits; later ones first so earlier offsets stay valid."""
    index = LineIndex(text)
    spans = sorted(
        ((index.offset(e.range.start), index.offset(e.range.end), e.new_text) for e in edits),
        reverse=True,
    )
    out = text
    last_start = len(text) + 1
    for start, end, new in spans:
        if end > last_start:  # overlapping edit: skip, a second --fix pass picks it up
            continue
        out = out[:start] + new + out[end:]
        last_start = start
    return out
