"""The server's copy of open documents follows incremental edits exactly."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from tunelint.server.documents import DocumentStore, _line_starts, apply_change, uri_to_path

UTF16 = PositionCodec(types.PositionEncodingKind.Utf16)


def change(line: int, char: int, end_line: int, end_char: int, text: str):
    return types.TextDocumentContentChangePartial(
        range=types.Range(
            start=types.Position(line=line, character=char),
            end=types.Position(line=end_line, character=end_char),
        ),
        text=text,
    )


def test_incremental_edit_after_emoji_uses_utf16_units() -> None:
    text = "a: 😀x\nb: 2\n"
    # "😀" is two UTF-16 units: character 5 is just before "x".
    assert apply_change(text, change(0, 5, 0, 6, "y"), UTF16) == "a: 😀y\nb: 2\n"


@pytest.mark.parametrize("odd", ["\x0c", "\u2028", "\x1c", "\x85"])
def test_lines_end_only_at_lsp_line_breaks(odd: str) -> None:
    """pygls' splitlines() would see an extra line at these characters; LSP does not."""
    text = f"a: 1 # {odd} x\nb: 2\n"
    assert apply_change(text, change(1, 3, 1, 4, "3"), UTF16) == f"a: 1 # {odd} x\nb: 3\n"


def test_crlf_and_lone_cr_are_line_breaks() -> None:
    assert apply_change("a\r\nb\rc\n", change(2, 0, 2, 1, "z"), UTF16) == "a\r\nb\rz\n"


def test_full_change_and_past_the_end() -> None:
    assert apply_change("x", types.TextDocumentContentChangeWholeDocument(text="y"), UTF16) == "y"
    assert apply_change("ab\n", change(5, 0, 5, 0, "tail"), UTF16) == "ab\ntail"
    assert apply_change("ab\n", change(0, 1, 0, 99, "!"), UTF16) == "a!\n"


def test_random_edits_match_a_reference() -> None:
    """Against a reference applier on the UTF-16 encoding of each line."""
    rng = random.Random(7)
    alphabet = "ab\n😀精 "
    checked = 0
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 15)))
        lines = text.split("\n")
        line = rng.randrange(len(lines))
        units = len(lines[line].encode("utf-16-le")) // 2
        start = rng.randint(0, units)
        # Only positions on character boundaries (as clients send).
        prefix = lines[line].encode("utf-16-le")[: start * 2]
        try:
            cut = len(prefix.decode("utf-16-le"))
        except UnicodeDecodeError:
            continue
        new = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 3)))
        expected_lines = list(lines)
        expected_lines[line] = lines[line][:cut] + new + lines[line][cut:]
        got = apply_change(text, change(line, start, line, start, new), UTF16)
        assert got == "\n".join(expected_lines), (text, line, start, new)
        checked += 1
    assert checked > 250  # most draws land on a character boundary


def test_line_starts_break_only_at_lsp_line_ends() -> None:
    """Both paths (with and without "\\r") agree with a reference that walks the text."""
    rng = random.Random(11)
    for alphabet in ("ab\n\u2028\x0c😀", "a\r\n\u0085b"):
        for _ in range(300):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
            expected = [0]
            i = 0
            while i < len(text):
                if text.startswith("\r\n", i):
                    i += 2
                    expected.append(i)
                    continue
                if text[i] in "\r\n":
                    expected.append(i + 1)
                i += 1
            assert _line_starts(text) == expected, repr(text)


def test_store_tracks_versions_and_paths(tmp_path) -> None:
    store = DocumentStore()
    uri = (tmp_path / "run.tune.yaml").as_uri()
    store.open(types.TextDocumentItem(uri=uri, language_id="yaml", version=1, text="a: 1\n"))
    store.change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[change(0, 3, 0, 4, "2")],
        ),
        UTF16,
    )
    document = store.get(uri)
    assert document is not None and document.text == "a: 2\n" and document.version == 2
    assert document.path == str(tmp_path / "run.tune.yaml")
    assert store.close(uri) is document and store.get(uri) is None
    assert uri_to_path("untitled:Untitled-1") is None
