"""Core positions (code points) <-> LSP positions in each negotiated encoding."""

from __future__ import annotations

import pytest
from lsprotocol import types

from tunelint.config.positions import Position, Range
from tunelint.server.positions import PositionConverter

TEXT = 'a: 1\nnote: "🚀 精度"  # 😀 x\r\nb: 2\n'
LINE = 'note: "🚀 精度"  # 😀 x'


@pytest.mark.parametrize(
    ("encoding", "codec", "width"),
    [("utf-16", "utf-16-le", 2), ("utf-8", "utf-8", 1), ("utf-32", "utf-32-le", 4)],
)
def test_every_column_round_trips(encoding: str, codec: str, width: int) -> None:
    converter = PositionConverter(TEXT, encoding)
    for column in range(len(LINE) + 1):
        lsp = converter.to_lsp(Position(1, column))
        assert lsp.character == len(LINE[:column].encode(codec)) // width
        assert converter.from_lsp(lsp) == Position(1, column)


def test_default_is_utf16() -> None:
    converter = PositionConverter(TEXT, None)
    assert converter.to_lsp(Position(1, LINE.index("#"))).character == LINE.index("#") + 1


def test_clamps_out_of_range_positions() -> None:
    converter = PositionConverter(TEXT, "utf-16")
    # One line model with LSP (issue 10): "\r\n" ends the line, so the end is len(LINE).
    assert converter.from_lsp(types.Position(line=1, character=999)) == Position(1, len(LINE))
    assert converter.from_lsp(types.Position(line=99, character=0)) == Position(3, 0)
    assert converter.to_lsp(Position(99, 5)) == types.Position(line=3, character=0)
    assert converter.to_lsp(Position(0, 99)) == types.Position(line=0, character=4)


def test_position_inside_a_surrogate_pair_rounds_forward() -> None:
    converter = PositionConverter("😀x\n", "utf-16")
    assert converter.from_lsp(types.Position(line=0, character=1)) == Position(0, 1)


def test_ranges_and_ascii_fast_path() -> None:
    converter = PositionConverter("model:\n  name: x\n", "utf-16")
    rng = converter.range_to_lsp(Range.of(1, 2, 1, 6))
    assert rng == types.Range(start=types.Position(1, 2), end=types.Position(1, 6))
    assert converter.range_from_lsp(rng) == Range.of(1, 2, 1, 6)
