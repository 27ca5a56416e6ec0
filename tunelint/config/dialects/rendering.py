"""Plan edits -> minimal text edits in a dialect's own keys: the pieces dialects share.

Each dialect decides which of its keys a Plan field lives in; these helpers then touch only
those keys' spans, like `tunelint.config.edits` does for the native format.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tunelint.config.dialects.reader import yaml11_safe_float
from tunelint.config.document import Document, Mapping, Scalar
from tunelint.config.edits import last_content_line, remove_key, render_value, set_value
from tunelint.config.plan_edits import (
    DialectKey,
    PlanEdit,
    PlanPath,
    RemoveKey,
    RenameKey,
    SetValue,
)
from tunelint.config.positions import Position, Range, TextEdit


def set_key(doc: Document, keys: tuple[str, ...], value: Any) -> list[TextEdit] | None:
    """Make dialect key `keys` hold `value` (creating it); [] when it already does."""
    _entry, node = doc.node_at(keys)
    if (
        isinstance(node, Scalar)
        and isinstance(value, float)
        and node.value == value
        and isinstance(node.yaml11_value, str)
    ):
        # Same number, but written so that YAML 1.1 loaders read a string: respell it.
        safe = yaml11_safe_float(node.raw)
        return [TextEdit(node.range, safe)] if safe is not None else None
    if (
        isinstance(node, Scalar)
        and isinstance(value, bool)
        and node.style is None
        and node.raw in ("True", "False")
        and node.value is not value
    ):
        # Keep the file's spelling of booleans (torchtune writes `True`).
        return [TextEdit(node.range, "True" if value else "False")]
    return set_value(doc, keys, value)


def remove_keys(doc: Document, *key_paths: tuple[str, ...]) -> list[TextEdit]:
    """Delete each present key (with the lines it owns); absent ones are skipped."""
    edits: list[TextEdit] = []
    for keys in key_paths:
        if doc.node_at(keys)[0] is None:
            continue
        removed = remove_key(doc, keys)
        if removed:
            edits.extend(removed)
    return edits


def replace_entry(
    doc: Document, keys: tuple[str, ...], new_key: str, value: Any
) -> list[TextEdit] | None:
    """Replace the whole entry at `keys` (block YAML) by `new_key: value`, on its own line(s)."""
    entry, node = doc.node_at(keys)
    if entry is None or node is None or doc.kind != "yaml":
        return None
    first = entry.key.range.start.line
    prefix = doc.index.line_text(first)[: entry.key.range.start.column]
    if prefix.strip():  # a flow mapping or a `- key:` item: not a whole-line entry
        return None
    last = last_content_line(doc, node)
    end = (
        Position(last + 1, 0)
        if last + 1 < doc.index.line_count
        else Position(last, len(doc.index.line_text(last)))
    )
    newline = "\n" if end.column == 0 else ""
    text = f"{prefix}{render_value(new_key)}: {render_value(value)}{newline}"
    return [TextEdit(Range(Position(first, 0), end), text)]


def insert_after(
    doc: Document, keys: tuple[str, ...], lines: list[tuple[str, Any]]
) -> list[TextEdit] | None:
    """New `key: value` lines right after the entry at `keys`, at its indentation."""
    entry, node = doc.node_at(keys)
    if entry is None or node is None or doc.kind != "yaml" or not lines:
        return None
    last = last_content_line(doc, node)
    indent = " " * entry.key.range.start.column
    end = Position(last, len(doc.index.line_text(last)))
    text = "".join(f"\n{indent}{render_value(k)}: {render_value(v)}" for k, v in lines)
    return [TextEdit(Range(end, end), text)]


def switch_flag(doc: Document, on: str, off: tuple[str, ...]) -> list[TextEdit] | None:
    """Top-level flags: `on: true`, the `off` ones gone (`fp16: true` -> `bf16: true`).

    When `on` is absent and an `off` flag is present, that line becomes the `on` line, so
    the flag stays where the user put it.
    """
    if not isinstance(doc.root, Mapping):
        return None
    present = [key for key in off if doc.root.get(key) is not None]
    if doc.root.get(on) is None and present:
        replaced = replace_entry(doc, (present[0],), on, True)
        if replaced is not None:
            return replaced + remove_keys(doc, *[(k,) for k in present[1:]])
    return (set_key(doc, (on,), True) or []) + remove_keys(doc, *[(k,) for k in present])


def flags_off(doc: Document, keys: tuple[str, ...]) -> list[TextEdit]:
    """Every present flag of `keys` set to false (fp32: no half precision)."""
    edits: list[TextEdit] = []
    for key in keys:
        if isinstance(doc.root, Mapping) and doc.root.get(key) is not None:
            edits += set_key(doc, (key,), False) or []
    return edits


def rename_key(doc: Document, keys: tuple[str, ...], new_key: str) -> list[TextEdit] | None:
    """The key at `keys` spelled `new_key`, its value and comments untouched."""
    entry, _node = doc.node_at(keys)
    if entry is None:
        return None
    return [TextEdit(entry.key.range, render_value(new_key, as_json=doc.kind == "json"))]


def render_key_edit(doc: Document, edit: PlanEdit) -> list[TextEdit] | None:
    """Edits of a `DialectKey` of the linted file. None for any other target."""
    target = edit.path
    if not isinstance(target, DialectKey) or not target.editable:
        return None
    keys = target.keys
    if isinstance(edit, SetValue):
        return set_key(doc, keys, edit.value)
    if isinstance(edit, RenameKey):
        return rename_key(doc, keys, edit.new_key)
    return remove_key(doc, keys)


# A Plan value -> text edits in the dialect's keys (None: the dialect cannot say it).
SetRenderer = Callable[[Document, Any], "list[TextEdit] | None"]
RemoveRenderer = Callable[[Document], "list[TextEdit] | None"]


@dataclass(frozen=True, slots=True)
class ToKey:
    """A Plan field written as one dialect key, its value translated on the way."""

    keys: tuple[str, ...]
    values: dict[Any, Any] = field(default_factory=dict)  # Plan value -> dialect value
    only: bool = False  # True: a value outside `values` cannot be written

    def __call__(self, doc: Document, value: Any) -> list[TextEdit] | None:
        if isinstance(value, Hashable) and value in self.values:
            value = self.values[value]
        elif self.only:
            return None
        return set_key(doc, self.keys, value)


def nothing(doc: Document) -> list[TextEdit]:
    """A Plan field the dialect has no key for: removing it changes nothing."""
    return []


@dataclass(frozen=True, slots=True)
class RenderTable:
    """Plan path -> how a dialect writes it (`set`) and takes it out (`remove`).

    A key tuple means the Plan value goes into that key as is (and removal deletes it); a
    renderer handles fields spread over several keys or with translated values. A path that
    is not in the table cannot be expressed in the dialect.
    """

    set: dict[PlanPath, tuple[str, ...] | SetRenderer]
    remove: dict[PlanPath, tuple[tuple[str, ...], ...] | RemoveRenderer] = field(
        default_factory=dict
    )

    def __call__(self, doc: Document, edit: PlanEdit) -> list[TextEdit] | None:
        path = edit.path
        if isinstance(path, DialectKey):
            return None
        if isinstance(edit, SetValue):
            how = self.set.get(path)
            if how is None:
                return None
            return set_key(doc, how, edit.value) if isinstance(how, tuple) else how(doc, edit.value)
        if isinstance(edit, RemoveKey):
            gone = self.remove.get(path)
            if gone is None:
                return None
            return remove_keys(doc, *gone) if isinstance(gone, tuple) else gone(doc)
        return None


def removals(table: dict[PlanPath, tuple[str, ...]]) -> dict[PlanPath, tuple[tuple[str, ...]]]:
    """Removal of each one-key field of `table`: delete that key."""
    return {path: (keys,) for path, keys in table.items()}


EditRenderer = Callable[[Document, PlanEdit], "list[TextEdit] | None"]


def render_fix(
    doc: Document, edits: Iterable[PlanEdit], render_edit: EditRenderer
) -> list[TextEdit] | None:
    """All of a fix's Plan edits as text edits, or None when one cannot be expressed.

    Dialect keys are edited directly; Plan fields go through the dialect's `render_edit`.
    """
    out: list[TextEdit] = []
    for edit in edits:
        if isinstance(edit.path, DialectKey):
            rendered = render_key_edit(doc, edit)
        else:
            rendered = render_edit(doc, edit)
        if rendered is None:
            return None
        out.extend(rendered)
    return merge_inserts(out)


def merge_inserts(edits: list[TextEdit]) -> list[TextEdit]:
    """Inserts at one spot (keys appended at the end of the file) become one edit, in order:
    separate inserts at one offset would be applied in an order no one chose."""
    merged: list[TextEdit] = []
    at: dict[Position, int] = {}
    for edit in edits:
        start = edit.range.start
        if start != edit.range.end:
            merged.append(edit)
            continue
        if start in at:
            first = merged[at[start]]
            merged[at[start]] = TextEdit(first.range, first.new_text + edit.new_text)
        else:
            at[start] = len(merged)
            merged.append(edit)
    return merged


def top_level_keys(doc: Document) -> list[str]:
    return doc.root.keys() if isinstance(doc.root, Mapping) else []
