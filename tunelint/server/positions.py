"""Core positions (code points, LSP's lines) to LSP positions and back.

LSP columns count UTF-16 code units unless the client negotiated another encoding; the core
counts code points. Conversion goes through pygls' position codec, so a key after an emoji
or CJK text is underlined exactly (ruff-lsp once shipped columns that drifted there).
"""

from __future__ import annotations

import re

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from tunelint.config.positions import Position, Range, TextEdit

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PositionConverter:
    """Converts positions of one text between the core's model and the client's encoding."""

    __slots__ = ("_ascii", "_codec", "_lines")

    def __init__(self, text: str, encoding: str | types.PositionEncodingKind | None) -> None:
        # Same line model as the core's LineIndex and LSP: lines end at "\r\n", "\n" or "\r"
        # (never at U+2028/U+0085, which YAML alone treats as breaks).
        self._lines = _LINE_BREAK.split(text) if "\r" in text else text.split("\n")
        # ASCII text has the same columns in every encoding: skip the per-line work.
        self._ascii = text.isascii()
        self._codec = PositionCodec(encoding or types.PositionEncodingKind.Utf16)

    @property
    def lines(self) -> list[str]:
        return self._lines

    def to_lsp(self, pos: Position) -> types.Position:
        """A core position as an LSP position (clamped to the text)."""
        if pos.line >= len(self._lines):
            last = len(self._lines) - 1
            return types.Position(last, self._units(last, len(self._lines[last])))
        column = min(pos.column, len(self._lines[pos.line]))
        return types.Position(pos.line, self._units(pos.line, column))

    def _units(self, line: int, column: int) -> int:
        if self._ascii:
            return column
        converted = self._codec.position_to_client_units(
            self._lines, types.Position(line=line, character=column)
        )
        return converted.character

    def from_lsp(self, pos: types.Position) -> Position:
        """An LSP position as a core position (clamped to the text)."""
        if pos.line >= len(self._lines):
            last = len(self._lines) - 1
            return Position(last, len(self._lines[last]))
        if pos.line < 0:
            return Position(0, 0)
        text = self._lines[pos.line]
        if self._ascii:
            return Position(pos.line, max(0, min(pos.character, len(text))))
        # pygls clamps an over-long column to len-1 (it expects lines with their endings);
        # clamp here first, on a copy, so the end of a line stays reachable.
        units = self._codec.client_num_units(text)
        character = max(0, min(pos.character, units))
        if character == units:
            return Position(pos.line, len(text))
        server = self._codec.position_from_client_units(
            self._lines, types.Position(line=pos.line, character=character)
        )
        return Position(pos.line, server.character)

    def range_to_lsp(self, rng: Range) -> types.Range:
        return types.Range(start=self.to_lsp(rng.start), end=self.to_lsp(rng.end))

    def range_from_lsp(self, rng: types.Range) -> Range:
        return Range(self.from_lsp(rng.start), self.from_lsp(rng.end))

    def edit_to_lsp(self, edit: TextEdit) -> types.TextEdit:
        return types.TextEdit(range=self.range_to_lsp(edit.range), new_text=edit.new_text)
