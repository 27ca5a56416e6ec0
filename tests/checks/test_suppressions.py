"""`# tunelint: ignore[CODE] reason` on the line or the line above."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

OPTIONS = LintOptions(settings=Settings(gpu="A100"))


def _codes(text: str) -> list[tuple[str, int]]:
    return [
        (d.code, d.range.start.line + 1)
        for d in lint_text(text, "a.tune.yaml", OPTIONS).diagnostics
    ]


def test_same_line_and_line_above() -> None:
    text = (
        "model:\n  name: x\n"
        "precision: fp16  # tunelint: ignore[TL101] matches the reference run\n"
        "peft:\n"
        "  # tunelint: ignore[TL301] new tokenizer: embeddings must train\n"
        "  kind: full\n"
    )
    assert _codes(text) == []


def test_trailing_comment_does_not_cover_the_next_line() -> None:
    text = "model:\n  name: x  # tunelint: ignore[TL101] no\nprecision: fp16\n"
    assert _codes(text) == [("TL911", 2), ("TL101", 3)]


def test_reasonless_and_blanket_ignores_are_findings() -> None:
    text = "model:\n  name: x\nprecision: fp16  # tunelint: ignore[TL101]\n"
    assert _codes(text) == [("TL910", 3)]
    text = "model:\n  name: x\nprecision: fp16  # tunelint: ignore\n"
    assert _codes(text) == [("TL910", 3)]


def test_unknown_code_in_ignore() -> None:
    text = "model:\n  name: x\nprecision: bf16  # tunelint: ignore[TL123] because\n"
    result = lint_text(text, "a.tune.yaml", OPTIONS)
    assert [(d.code, "unknown rule" in d.message) for d in result.diagnostics] == [("TL911", True)]


def test_syntax_errors_cannot_be_suppressed() -> None:
    text = "# tunelint: ignore[TL900] broken on purpose\nmodel: [\n"
    assert ("TL900", 2) in _codes(text) or ("TL900", 3) in _codes(text)
