"""The JSON cursor context of dialect-file completion (tunelint.server.json_cursor): the
object path, key or value, the replaced span and the commas a new member needs, read from
JSON as it is being typed (mostly not parseable). `|` marks the cursor in each case."""

from __future__ import annotations

import pytest

from tunelint.config.positions import Position
from tunelint.server.json_cursor import json_context


def _at(marked: str) -> tuple[str, Position]:
    before = marked[: marked.index("|")]
    return marked.replace("|", "", 1), Position(before.count("\n"), len(before.rsplit("\n", 1)[-1]))


# (marked text, path, in_value, key, prefix, siblings, has_colon, comma_after); siblings
# are the object's keys but the one being typed (a value's own key is one of them).
CASES = [
    # A half-typed key with no closing quote, a member after it on the next line.
    ('{\n  "a": 1,\n  "grad|\n  "b": 2\n}', (), False, None, "grad", {"a", "b"}, False, True),
    # The editor closed the quote; the object closes after it.
    ('{"a": 1, "grad|"}', (), False, None, "grad", {"a"}, False, False),
    # Renaming a key that has its colon and value: only the name is replaced.
    ('{"a": 1, "gra|d": 2}', (), False, None, "gra", {"a"}, True, False),
    # An unquoted word where a key goes.
    ('{"a": 1, gr|}', (), False, None, "gr", {"a"}, False, False),
    # Nested objects, and an object in a list (the index is part of the path).
    ('{"z": {"stage": 3, |}}', ("z",), False, None, "", {"stage"}, False, False),
    (
        '{"d": [{"path": "x"}, {"type": "a", |}]}',
        ("d", "1"),
        False,
        None,
        "",
        {"type"},
        False,
        False,
    ),
    # Values: a string being typed, an empty value before the next member, a bare word.
    ('{"a": 1, "lr": "cos|", "b": 2}', (), True, "lr", "cos", {"a", "lr", "b"}, False, False),
    ('{"a": 1, "lr": |\n "b": 2}', (), True, "lr", "", {"a", "lr", "b"}, False, True),
    ('{"z": {"on": tr|}}', ("z",), True, "on", "tr", {"on"}, False, False),
    # An item of a list: the value of the list's key.
    ('{"report_to": ["wandb", "ten|"]}', (), True, "report_to", "ten", set(), False, False),
    # JSONC comments are skipped; a key in a comment is no sibling.
    ('{\n  // "b": 1\n  "a": 1,\n  |\n}', (), False, None, "", {"a"}, False, False),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_context(case) -> None:
    marked, path, in_value, key, prefix, siblings, has_colon, comma_after = case
    text, pos = _at(marked)
    ctx = json_context(text, pos)
    assert ctx is not None
    assert (ctx.path, ctx.in_value, ctx.key, ctx.prefix) == (path, in_value, key, prefix)
    assert (ctx.siblings, ctx.has_colon, ctx.comma_after) == (siblings, has_colon, comma_after)


def test_replaced_span_covers_the_quoted_token() -> None:
    text, pos = _at('{"a": 1, "gra|d": 2}')
    ctx = json_context(text, pos)
    assert ctx is not None and ctx.quoted
    assert text[ctx.start.column : ctx.end.column] == '"grad"'
    # Unterminated: up to the cursor (the rest of the line is not the key's).
    text, pos = _at('{\n  "gra|d\n}')
    ctx = json_context(text, pos)
    assert ctx is not None and (ctx.start, ctx.end) == (Position(1, 2), Position(1, 6))


def test_comma_before_a_member_after_one_without() -> None:
    text, pos = _at('{\n  "a": 1\n  |\n}')
    ctx = json_context(text, pos)
    assert ctx is not None and ctx.comma_before == Position(1, 8)  # right after `1`
    text, pos = _at('{\n  "a": 1,\n  |\n}')
    ctx = json_context(text, pos)
    assert ctx is not None and ctx.comma_before is None


@pytest.mark.parametrize(
    "marked",
    [
        '|{"a": 1}',  # before the document's object
        '{"a": 1}|',  # after it
        '{"a"| 1}',  # right after a key: its colon comes next
        "[[1, |]]",  # an array of arrays: no key names the items
        "",  # nothing at all (the marker is added below)
    ],
)
def test_no_context(marked: str) -> None:
    text, pos = _at(marked or "|")
    assert json_context(text, pos) is None


def test_crlf_lines() -> None:
    text, pos = _at('{\r\n  "a": 1,\r\n  "b|\r\n}')
    ctx = json_context(text, pos)
    assert ctx is not None and ctx.prefix == "b" and ctx.siblings == {"a"}
    assert ctx.start == Position(2, 2)


def test_escaped_quotes() -> None:
    # `\"` does not close the value being typed; `\\"` (an escaped backslash) does.
    text, pos = _at('{"k": "say \\"hi|\n}')
    ctx = json_context(text, pos)
    assert ctx is not None and ctx.in_value and ctx.key == "k" and ctx.prefix == 'say \\"hi'
    assert ctx.end == pos  # unterminated: replaced up to the cursor
    text, pos = _at('{"k": "c:\\\\", |}')
    ctx = json_context(text, pos)
    assert ctx is not None and not ctx.in_value and ctx.siblings == {"k"}


def test_past_the_end_column_stays_on_its_line() -> None:
    text = '{\n  "a": 1,\n  "b\n}'
    ctx = json_context(text, Position(2, 99))
    assert ctx is not None and ctx.prefix == "b" and ctx.start == Position(2, 2)
