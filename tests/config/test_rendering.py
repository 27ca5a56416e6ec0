"""One fix path: Plan edits (on Plan paths or dialect keys) -> the dialect renders a whole fix
at once; inserts at one spot merge in order; a renderer that fails costs the fix, not the file."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tunelint.config.dialects import get_dialect
from tunelint.config.dialects.rendering import RenderTable, ToKey, merge_inserts, render_fix
from tunelint.config.document import Document, parse_document
from tunelint.config.plan import Plan
from tunelint.config.plan_edits import DialectKey, PlanEdit, RemoveKey, RenameKey, SetValue
from tunelint.config.positions import Position, Range, TextEdit, apply_edits
from tunelint.config.settings import Settings
from tunelint.config.source_map import SourceMap
from tunelint.lint import LintOptions, lint_text

TRL = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
dataset_name: trl-lib/Capybara
max_seq_length: 2048  # tokens
learning_rate: 2e-5
"""


def _render(text: str, filename: str, edits: Iterable[PlanEdit]) -> str | None:
    doc = parse_document(text, filename)
    dialect = get_dialect("trl" if filename.endswith(".yaml") else "native")
    assert dialect is not None
    mapped = dialect.map(doc)
    rendered = dialect.render(doc, mapped.source_map, None, tuple(edits))
    return None if rendered is None else apply_edits(text, rendered)


def test_dialect_key_edits_touch_only_that_key() -> None:
    renamed = _render(TRL, "sft.yaml", [RenameKey(DialectKey(("max_seq_length",)), "max_length")])
    assert renamed == TRL.replace("max_seq_length:", "max_length:")
    respelt = _render(TRL, "sft.yaml", [SetValue(DialectKey(("learning_rate",)), 2e-5)])
    assert respelt == TRL.replace("2e-5", "2.0e-5")
    removed = _render(TRL, "sft.yaml", [RemoveKey(DialectKey(("max_seq_length",), None, True))])
    assert removed == TRL.replace("max_seq_length: 2048  # tokens\n", "")


def test_a_related_files_key_is_never_edited() -> None:
    target = DialectKey(("fp16", "enabled"), related_role="deepspeed")
    assert _render(TRL, "sft.yaml", [SetValue(target, False)]) is None


def test_a_fix_renders_whole_or_not_at_all() -> None:
    # The method of a TRL file is its command, not a key: the whole fix is inexpressible.
    edits = [SetValue(("training", "learning_rate"), 1e-5), SetValue(("method", "kind"), "dpo")]
    assert _render(TRL, "sft.yaml", edits) is None
    assert _render(TRL, "sft.yaml", edits[:1]) == TRL.replace("2e-5", "1.0e-05")


def test_table_translates_values_and_refuses_unknown_ones() -> None:
    doc = parse_document("a: 1\n", "x.yaml")
    table = RenderTable(
        set={("x",): ToKey(("b",), {"on": True}, only=True), ("y",): ("c",)},
        remove={("y",): (("a",),)},
    )
    assert table(doc, SetValue(("x",), "on")) == [
        TextEdit(Range(Position(0, 4), Position(0, 4)), "\nb: true")
    ]
    assert table(doc, SetValue(("x",), "off")) is None
    assert table(doc, SetValue(("z",), 1)) is None  # not in the table: inexpressible
    assert table(doc, RemoveKey(("y",))) == [TextEdit(Range(Position(0, 0), Position(1, 0)), "")]
    assert table(doc, RenameKey(("y",), "d")) is None


def test_inserts_at_one_spot_merge_in_the_fixs_order() -> None:
    doc = parse_document("a: 1\n", "x.yaml")
    table = RenderTable(set={("z",): ("z",), ("b",): ("b",)})
    edits = render_fix(doc, [SetValue(("z",), 1), SetValue(("b",), 2)], table)
    assert edits == [TextEdit(Range(Position(0, 4), Position(0, 4)), "\nz: 1\nb: 2")]
    at = Position(0, 4)
    replace = TextEdit(Range(Position(0, 3), at), "2")
    assert merge_inserts([replace, TextEdit(Range(at, at), "x"), TextEdit(Range(at, at), "y")]) == [
        replace,
        TextEdit(Range(at, at), "xy"),
    ]


class _BrokenRenderer:
    """A dialect whose renderer raises (stands for a renderer bug)."""

    def __init__(self, real: object) -> None:
        self._real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        raise RuntimeError("renderer bug")


def test_a_render_failure_is_an_internal_error_not_a_crash(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import tunelint.lint as lint

    real = lint.detect_dialect

    def broken(doc: Document, forced: str | None = None) -> object:
        found = real(doc, forced)
        return type(found)(_BrokenRenderer(found.dialect), found.confidence)

    options = LintOptions(settings=Settings())
    normal = lint_text(TRL, "sft.yaml", options).diagnostics
    fixable = sorted(d.code for d in normal if d.fix)
    assert {"TL510", "TL511"} <= set(fixable)
    monkeypatch.setattr(lint, "detect_dialect", broken)
    result = lint_text(TRL, "sft.yaml", options)
    # Every finding stays, without its fix; each lost fix is reported.
    assert sorted(d.code for d in result.diagnostics if d.code != "TL999") == sorted(
        d.code for d in normal
    )
    assert all(d.fix is None for d in result.diagnostics)
    internal = sorted(d.message for d in result.diagnostics if d.code == "TL999")
    assert internal == [
        f"trl fix for {code} failed: RuntimeError: renderer bug" for code in fixable
    ]
