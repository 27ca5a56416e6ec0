"""A document over the parse caps (TL905) is linted once, not per keystroke (issue 10.6):
while it stays over the cap and in its size class, each new version reuses that lint."""

from __future__ import annotations

import asyncio

from lsprotocol import types

from tunelint.server.linting import LintOutcome
from tunelint.server.server import create_server

URI = "file:///tmp/big.tune.yaml"
# More values than the parser's cap (MAX_NODES), in well under 1 MiB.
HUGE = "model:\n  name: x\nitems: [" + ",".join("1" for _ in range(60_000)) + "]\n"
SMALL = "model:\n  name: meta-llama/Llama-3.2-1B\nprecision: fp16\nhardware:\n  gpu: A100-80GB\n"


def _change(version: int, text: str) -> types.DidChangeTextDocumentParams:
    return types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
    )


def _lints(texts: list[str]) -> list[LintOutcome]:
    """Open the first text, then change to each next one; the outcome of each version."""
    server = create_server()

    async def run() -> list[LintOutcome]:
        server.documents.open(
            types.TextDocumentItem(uri=URI, language_id="yaml", version=1, text=texts[0])
        )
        outcomes = []
        for version, text in enumerate(texts, start=1):
            if version > 1:
                server.documents.change(_change(version, text), "utf-16")
            outcome = await server.lint_latest(URI)
            assert outcome is not None
            outcomes.append(outcome)
        return outcomes

    try:
        return asyncio.run(run())
    finally:
        server.stop()


def _codes(outcome: LintOutcome) -> list[str | int | None]:
    return [d.code for d in outcome.diagnostics]


def test_over_the_cap_is_linted_once_per_size_class() -> None:
    typed = HUGE.replace("items:", "items2:")  # a keystroke: same size class
    pasted = HUGE + "# " + "x" * len(HUGE) + "\n"  # doubles the size: a new class
    first, keystroke, paste = _lints([HUGE, typed, pasted])
    assert _codes(first) == ["TL905"]
    assert keystroke.result is first.result  # reused: no new lint
    assert (keystroke.version, _codes(keystroke)) == (2, ["TL905"])
    assert [d.data for d in keystroke.diagnostics] == [{"uri": URI, "version": 2}]
    assert paste.result is not first.result and _codes(paste) == ["TL905"]


def test_a_document_under_the_cap_is_linted_per_version() -> None:
    edited = SMALL.replace("fp16", "bf16")
    first, second = _lints([SMALL, edited])
    assert first.result is not second.result
    assert "TL101" in _codes(first) and "TL101" not in _codes(second)


def test_leaving_the_cap_by_a_large_edit_lints_again() -> None:
    first, second = _lints([HUGE, SMALL])
    assert _codes(first) == ["TL905"]
    assert second.result is not first.result and "TL905" not in _codes(second)
