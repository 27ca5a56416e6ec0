"""Cursor context: the key path under the cursor (hover) and what may be typed (completion)."""

from __future__ import annotations

from tunelint.config.document import parse_document
from tunelint.config.positions import Position
from tunelint.server.cursor import line_context, tree_path_at

TEXT = "\n".join(
    [
        "model:",
        "  name: Qwen/x   # base",
        "  ",
        "precision: ",
        "hardware:",
        "  gpu: RTX 4",
        "output:",
        "  report_to:",
        "    - tens",
        "pe",
        "",
    ]
)


def test_key_position_in_a_section() -> None:
    ctx = line_context(TEXT, Position(2, 2))
    assert ctx is not None
    assert (ctx.path, ctx.in_value, ctx.siblings) == (("model",), False, frozenset({"name"}))


def test_value_position_with_prefix_spaces() -> None:
    ctx = line_context(TEXT, Position(5, 12))
    assert ctx is not None
    assert (ctx.path, ctx.key, ctx.in_value, ctx.prefix) == (("hardware",), "gpu", True, "RTX 4")
    assert ctx.start == Position(5, 7)


def test_empty_value_and_top_level_key() -> None:
    ctx = line_context(TEXT, Position(3, 11))
    assert ctx is not None and (ctx.path, ctx.key, ctx.in_value) == ((), "precision", True)
    ctx = line_context(TEXT, Position(9, 2))
    assert ctx is not None and (ctx.path, ctx.in_value, ctx.prefix) == ((), False, "pe")
    assert {"model", "precision", "hardware", "output"} <= ctx.siblings


def test_sequence_item_is_a_value_of_its_key() -> None:
    ctx = line_context(TEXT, Position(8, 10))
    assert ctx is not None
    assert (ctx.path, ctx.key, ctx.in_value, ctx.in_sequence) == (
        ("output",),
        "report_to",
        True,
        True,
    )


def test_flow_and_comments_give_no_context() -> None:
    assert line_context("hardware: {gpu: ", Position(0, 16)) is None
    assert line_context("# comm", Position(0, 6)) is None


def test_tree_path_on_keys_values_and_between() -> None:
    doc = parse_document("model:\n  name: x  # c\n\nprecision: fp16\n", "a.tune.yaml")
    hit = tree_path_at(doc.root, Position(1, 3))
    assert hit is not None and (hit.path, hit.on_key) == (("model", "name"), True)
    hit = tree_path_at(doc.root, Position(1, 9))
    assert hit is not None and (hit.path, hit.on_key) == (("model", "name"), False)
    hit = tree_path_at(doc.root, Position(3, 12))
    assert hit is not None and hit.path == ("precision",)
    assert tree_path_at(doc.root, Position(2, 0)) is None  # a blank line inside nothing
    assert tree_path_at(doc.root, Position(1, 13)) is None  # the comment
    assert tree_path_at(None, Position(0, 0)) is None
