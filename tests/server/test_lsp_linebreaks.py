"""One line model through a real LSP client: lines end at CRLF, LF or CR only.

U+2028 and U+0085 inside a quoted value are ordinary characters to an editor (YAML 1.1
readers break lines there); CR-only files end lines at CR. Every diagnostic must land on the
characters it names, and every fix must change exactly those characters (an attack once made
fix-all write `hardware:bf16`)."""

from __future__ import annotations

import re

import pytest
from lsp_helpers import Doc, edits_of, encoding
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_lsp_actions import request_actions

pytestmark = pytest.mark.asyncio(loop_scope="module")

LINES = [
    "# a config",
    "model:",
    '  name: "Qwen/Qwen2.5-7B-Instruct{odd}x{odd}"',
    "precision: fp16  # keep",
    "hardware:",
    "  gpu: A100-80GB",
    "  distributd: none",
    "training:",
    "  learning_rate: 2e-4",
    "data:",
    "  train: 'data/{odd}train.jsonl'",
    "",
]
VARIANTS = {
    "u2028-lf": ("\u2028", "\n"),
    "u0085-lf": ("\x85", "\n"),
    "u2029-crlf": ("\u2029", "\r\n"),
    "cr-only": ("\u2028", "\r"),
    "mixed": ("\x85", "\r"),
}
_BREAK = re.compile(r"\r\n|\r|\n")


def _text(odd: str, newline: str, mixed: bool = False) -> str:
    lines = [line.format(odd=odd) for line in LINES]
    if mixed:  # every kind of LSP line break in one file
        breaks = ["\r\n", "\r", "\n"]
        return "".join(line + breaks[i % 3] for i, line in enumerate(lines[:-1]))
    return newline.join(lines)


def _offset(text: str, pos: types.Position, enc: str) -> int:
    """An LSP position as an offset, by the specification (independent of the server)."""
    starts = [0, *(m.end() for m in _BREAK.finditer(text))]
    assert pos.line < len(starts), (pos, len(starts))
    start = starts[pos.line]
    end = _BREAK.search(text, start)
    line = text[start : end.start() if end else len(text)]
    if enc == "utf-32":
        return start + min(pos.character, len(line))
    codec, width = ("utf-16-le", 2) if enc == "utf-16" else ("utf-8", 1)
    data = line.encode(codec, "surrogatepass")
    return start + len(data[: pos.character * width].decode(codec, "surrogatepass"))


def _apply(text: str, edits: list[types.TextEdit], enc: str) -> str:
    spans = sorted(
        ((_offset(text, e.range.start, enc), _offset(text, e.range.end, enc), e.new_text))
        for e in edits
    )
    for start, end, new in reversed(spans):
        text = text[:start] + new + text[end:]
    return text


def _span(text: str, rng: types.Range, enc: str) -> str:
    return text[_offset(text, rng.start, enc) : _offset(text, rng.end, enc)]


@pytest.mark.parametrize(
    "variant",
    sorted(VARIANTS),
)
async def test_positions_and_fixes_follow_lsp_lines(
    client: LanguageClient, tmp_path_factory, variant: str
) -> None:
    odd, newline = VARIANTS[variant]
    text = _text(odd, newline, mixed=variant == "mixed")
    doc = Doc(client, tmp_path_factory.mktemp(variant) / "run.tune.yaml", text).open()
    enc = encoding(client)
    diagnostics = await doc.diagnostics()
    by_code = {d.code: d for d in diagnostics}
    assert {"TL101", "TL901"} <= set(by_code), diagnostics
    # Each diagnostic sits on the editor's line 3 / 6, on exactly the characters it names.
    assert by_code["TL101"].range.start.line == 3
    assert _span(text, by_code["TL101"].range, enc) == "fp16"
    assert by_code["TL901"].range.start.line == 6
    assert _span(text, by_code["TL901"].range, enc) == "distributd"

    # The quick fix of the typo renames the key and nothing else.
    actions = await request_actions(client, doc, [by_code["TL901"]], only=["quickfix"])
    rename = next(a for a in actions if a.edit is not None and "distributed" in a.title)
    renamed = _apply(text, edits_of(rename.edit, doc.uri), enc)
    assert renamed == text.replace("distributd", "distributed")

    # Fix-all changes fp16 to bf16 in place: line breaks, odd characters and comments stay.
    actions = await request_actions(client, doc, [], only=["source.fixAll"])
    fix_all = next(a for a in actions if a.kind == "source.fixAll.tunelint")
    if fix_all.edit is None:  # deferred: the client resolves it when chosen
        fix_all = await client.code_action_resolve_async(fix_all)
    fixed = _apply(text, edits_of(fix_all.edit, doc.uri), enc)
    assert fixed == text.replace("precision: fp16", "precision: bf16")


async def test_hover_never_shows_a_secret(client: LanguageClient, tmp_path_factory) -> None:
    """A token used as a key is quoted by TL901's message: the hover shows it masked."""
    token = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
    text = f"model:\n  name: x\n  {token}: 1\nprecision: bf16\n"
    doc = Doc(client, tmp_path_factory.mktemp("hover") / "run.tune.yaml", text).open()
    diagnostics = await doc.diagnostics()
    on_key = [d for d in diagnostics if d.range.start.line == 2]
    assert {d.code for d in on_key} >= {"TL602", "TL901"}
    assert all(token[3:] not in d.message for d in diagnostics)
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=2, character=4),
        )
    )
    assert hover is not None and "hf_********" in str(hover.contents)
    assert token[3:] not in str(hover.contents)
