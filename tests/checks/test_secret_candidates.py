"""TL602 judges only the values that can be secrets (`lint._secret_candidates`): the text's
provider prefixes and credential-named keys rule the others out before any value is read.
These cases sit at the edges of that pre-filter."""

from __future__ import annotations

from tunelint.lint import lint_text

NATIVE = "model:\n  name: x\noutput:\n  dir: runs/x\n"
TOKEN_BODY = "A" * 34


def _tl602_lines(text: str) -> list[int]:
    result = lint_text(NATIVE + text, "t.tune.yaml")
    return [d.range.start.line for d in result.diagnostics if d.code == "TL602"]


def test_a_token_spelt_with_an_escape_is_found() -> None:
    # The text never shows `hf_`: the double-quoted value's escape makes it.
    assert _tl602_lines(f'note: "\\x68f_{TOKEN_BODY}"\n') == [4]


def test_a_long_literal_in_a_list_under_a_credential_key_is_found() -> None:
    assert _tl602_lines("hub_token:\n  - abcdefghijklmnopqrstuvwxyz\n") == [5]


def test_a_key_that_folds_to_a_credential_word_is_found() -> None:
    # U+212A KELVIN SIGN lower-cases to `k`: `hub_to\u212aen` names a token.
    assert _tl602_lines("hub_to\u212aen: abcdefghijklmnopqrstuvwxyz\n") == [4]


def test_values_without_a_prefix_or_a_credential_key_are_not_secrets() -> None:
    assert _tl602_lines("notes: abcdefghijklmnopqrstuvwxyz0123456789\n") == []
