"""The JSON report: byte for byte what json.dumps(indent=2, ensure_ascii=False) writes."""

from __future__ import annotations

import io
import json

import pytest

from tunelint.checks.finding import Diagnostic, RenderedFix
from tunelint.config.positions import Range, TextEdit
from tunelint.reporters import render_json


def _diagnostic(message: str, fix: RenderedFix | None) -> Diagnostic:
    return Diagnostic(
        'dir/ä "q".yaml', Range.of(2, 0, 2, 7), "TL301", "error", message, fix, "https://x/TL301"
    )


FIX = RenderedFix(
    "Rename to `a`",
    "safe",
    (TextEdit(Range.of(0, 0, 0, 3), "a: 1\n"), TextEdit(Range.of(4, 2, 4, 2), "")),
)


@pytest.mark.parametrize(
    "diagnostics",
    [
        [],
        [_diagnostic("plain", None)],
        [
            _diagnostic('quotes " and \\ backslash, tab\t, NUL\x00, U+2028\u2028, 😀', FIX),
            _diagnostic("no edits", RenderedFix("nothing", "unsafe", ())),
        ],
    ],
)
def test_render_json_matches_json_dumps(diagnostics: list[Diagnostic]) -> None:
    stream = io.StringIO()
    render_json(diagnostics, stream)
    expected = json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False)
    assert stream.getvalue() == expected + "\n"
    assert json.loads(stream.getvalue()) == [d.to_json() for d in diagnostics]
