"""Positions, ranges and text edits: 0-based lines, columns in code points.

One line model everywhere: LSP's. Lines end at "\r\n", "\n" or "\r" only; U+2028,
U+2029 and U+0085 (which YAML 1.1 readers also break at) are ordinary characters, so a
position means the same in the document, the CLI and the editor."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import NamedTuple

_BREAKS = re.compile("\r\n|[\r\n]")


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
        # Made on first use: a document is indexed with its text, and most are never asked
        # (libyaml's marks give the ranges of a text without U+0085/U+2028/U+2029).
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        """The offset where each line begins."""
        starts = self._starts
        if starts is None:
            text = self.text
            if "\r" in text:
                starts = [0, *(m.end() for m in _BREAKS.finditer(text))]
            else:
                starts = [0]
                find = text.find
                i = find("\n")
                while i != -1:
                    starts.append(i + 1)
                    i = find("\n", i + 1)
            self._starts = starts
        return starts

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def offset(self, pos: Position) -> int:
        starts = self.starts
        if pos.line >= len(starts):
            return len(self.text)
        return min(starts[pos.line] + pos.column, len(self.text))

    def position(self, offset: int) -> Position:
        starts = self.starts
        line = bisect_right(starts, offset) - 1
        return Position(line, offset - starts[line])

    def line_text(self, line: int) -> str:
        """The line without its line break."""
        starts = self.starts
        if line >= len(starts):
            return ""
        start = starts[line]
        end = starts[line + 1] if line + 1 < len(starts) else len(self.text)
        line_text = self.text[start:end]
        if line_text.endswith("\n"):
            line_text = line_text[:-1]
        return line_text[:-1] if line_text.endswith("\r") else line_text

    def lines(self) -> list[str]:
        """Every line without its line break (what an editor shows)."""
        return [self.line_text(n) for n in range(len(self.starts))]

    def lines_with_breaks(self) -> list[str]:
        """Every line with its line break, joining back to the text (for diffs)."""
        starts = self.starts
        ends = [*starts[1:], len(self.text)]
        return [self.text[a:b] for a, b in zip(starts, ends, strict=True) if a < b]

    def line_start(self, line: int) -> int:
        starts = self.starts
        return starts[min(line, len(starts) - 1)]


def with_line_breaks(edits: list[TextEdit], newline: str) -> list[TextEdit]:
    """Edits whose inserted lines end as the file's lines do (renderers write "\n")."""
    if newline == "\n":
        return edits
    return [TextEdit(e.range, _BREAKS.sub(newline, e.new_text)) for e in edits]


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
