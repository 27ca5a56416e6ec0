"""Completion and hover in dialect files (axolotl, LLaMA-Factory, TRL, torchtune, DeepSpeed,
accelerate), YAML or JSON, from the frameworks' option tables: the keys valid at the
cursor's mapping level with type, default and docs, and the allowed values of a key's value.

The file's table, section and version are the ones the key rules use (the dialect's
`OptionScope` fact and tunelint.config.versions); a table loads on first use. A file being
typed is often not parseable (`"gradient_acc` in JSON): completion then reads the table
view of its last lint that parsed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tunelint.config.dialects.facts import OptionScope
from tunelint.config.positions import Position, Range
from tunelint.config.versions import resolve_version
from tunelint.server.cursor import line_context, tree_path_at
from tunelint.server.json_cursor import JsonContext, json_context
from tunelint.server.positions import PositionConverter

if TYPE_CHECKING:
    from tunelint.knowledge.options import KeyInfo
    from tunelint.lint import LintResult


@dataclass(frozen=True, slots=True)
class TableView:
    """How one file's keys are looked up: framework, section, version and extra sections."""

    framework: str
    section: str | None
    version: str | None
    version_note: str
    related: dict[str, str]
    also: tuple[str, ...]


def table_view(result: LintResult | None) -> TableView | None:
    """The option-table view of a linted dialect file; None for native or unread files."""
    if result is None or result.mapped is None:
        return None
    scope: OptionScope | None = result.mapped.facts.options
    if scope is None:
        return None
    from tunelint.knowledge.options import sections

    known = sections(scope.framework)
    file = Path(result.path) if result.path and Path(result.path).is_file() else None
    settings = result.context.settings if result.context is not None else None
    found = resolve_version(scope.framework, file, settings)
    related = {}
    for other in scope.related:
        other_found = resolve_version(other, file, settings)
        if other_found is not None and other_found.exact:
            related[other] = other_found.version
    also = tuple(
        max((s for s in known if name == s or name.startswith(s + ".")), key=len, default=name)
        for name in scope.also
    )
    note = ""
    if found is not None:
        how = "pinned" if found.exact else "assumed"
        note = f"{found.framework} {found.version} ({how}: {found.source})"
    return TableView(
        scope.framework,
        scope.section if scope.section in known else None,
        found.version if found is not None else None,
        note,
        related,
        tuple(a for a in also if a in known),
    )


def completion_view(result: LintResult | None, parsed: LintResult | None) -> TableView | None:
    """The table view completion uses: the current lint's, else (while the text does not
    parse: a key half-typed) that of `parsed`, the document's last lint that parsed."""
    if result is not None and result.document.root is not None:
        return table_view(result)
    return table_view(parsed)


def _section_of(view: TableView, path: tuple[str, ...]) -> tuple[str | None, bool] | None:
    """(section, top level) of a mapping at key path `path` (list indices skipped); None
    when the mapping is free-form (a torchtune component's kwargs, DeepSpeed's params)."""
    from tunelint.knowledge.options import sections

    parents = [p for p in path if not p.isdigit()]
    if not parents:
        return view.section, True
    if parents[-1] in sections(view.framework):
        return parents[-1], False
    return None


def _keys(view: TableView, path: tuple[str, ...]) -> dict[str, KeyInfo]:
    from tunelint.knowledge.options import keys

    found = _section_of(view, path)
    if found is None:
        return {}
    section, top = found
    return keys(
        view.framework,
        view.version,
        section=section,
        related=view.related,
        also=view.also if top else (),
    )


def _lookup(view: TableView, path: tuple[str, ...]) -> KeyInfo | None:
    from tunelint.knowledge.options import lookup

    return lookup(
        view.framework,
        path,
        view.version,
        section=view.section,
        related=view.related,
        also=view.also,
    )


def _markup(text: str, markdown: bool) -> types.MarkupContent:
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.MarkupContent(kind=kind, value=text)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(info: KeyInfo) -> list[Any]:
    """A key's allowed values, once each; `Literal["auto"] | bool` gets the flags too."""
    values: list[Any] = [c for c in info.choices or () if c is not None]
    alternatives = info.type.replace(" ", "").replace("Optional[bool]", "bool").split("|")
    if "bool" in alternatives:
        values += [True, False]
    unique: dict[str, Any] = {}
    for value in values:
        unique.setdefault(json.dumps(value), value)
    return list(unique.values())


_PROPERTY = types.CompletionItemKind.Property
_ENUM = types.CompletionItemKind.EnumMember


def _matches(prefix: str, name: str) -> bool:
    """Whether a client could show `name` for the typed `prefix`: its characters in order
    (clients filter by prefix or by such fuzzy subsequences). A table has hundreds of keys:
    sending only these keeps a keystroke's answer small."""
    rest = iter(name.lower())
    return all(char in rest for char in prefix.lower())


def _item(
    label: str,
    kind: types.CompletionItemKind,
    detail: str,
    info: KeyInfo,
    order: int,
    markdown: bool,
    edit: types.TextEdit,
    filter_text: str,
    extra: list[types.TextEdit] | None = None,
) -> types.CompletionItem:
    """A key (Property) or a value (EnumMember), documented by the key's table entry."""
    from tunelint.knowledge.options import hover_text

    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=_markup(hover_text(info), markdown),
        sort_text=f"{order:04d}",
        filter_text=filter_text,
        text_edit=edit,
        additional_text_edits=extra,
    )


def _candidates(
    view: TableView, path: tuple[str, ...], siblings: frozenset[str], prefix: str
) -> list[tuple[int, str, KeyInfo]]:
    """(order, key, entry) of the keys the mapping at `path` may take next: not written
    yet, and matching what is typed."""
    return [
        (order, name, info)
        for order, (name, info) in enumerate(sorted(_keys(view, path).items()))
        if name not in siblings and _matches(prefix, name)
    ]


def _answer(items: list[types.CompletionItem], prefix: str, keys: bool) -> types.CompletionList:
    # Keys filtered by what is typed: the client asks again as the word changes.
    return types.CompletionList(is_incomplete=keys and bool(prefix), items=items)


def complete(
    text: str,
    position: types.Position,
    converter: PositionConverter,
    markdown: bool,
    view: TableView | None,
) -> types.CompletionList | None:
    """Keys (or a key's allowed values) at an LSP position of a dialect file's YAML."""
    if view is None:
        return None
    pos = converter.from_lsp(position)
    ctx = line_context(text, pos)
    if ctx is None:
        return None
    edit_range = converter.range_to_lsp(Range(ctx.start, Position(pos.line, pos.column)))
    items: list[types.CompletionItem] = []
    if not ctx.in_value:
        if ctx.in_sequence:
            return None
        for order, name, info in _candidates(view, ctx.path, ctx.siblings, ctx.prefix):
            edit = types.TextEdit(range=edit_range, new_text=f"{name}: ")
            detail = info.type or view.framework
            items.append(_item(name, _PROPERTY, detail, info, order, markdown, edit, name))
    else:
        assert ctx.key is not None
        info = _lookup(view, (*ctx.path, ctx.key))
        if info is None:
            return None
        detail = f"{view.framework}: {info.key}"
        for order, value in enumerate(_values(info)):
            label = _value_text(value)
            edit = types.TextEdit(range=edit_range, new_text=label)
            items.append(_item(label, _ENUM, detail, info, order, markdown, edit, label))
    return _answer(items, ctx.prefix, not ctx.in_value) if items else None


def _json_default(name: str, info: KeyInfo, nested: frozenset[str]) -> str:
    """The value a new JSON member starts with, so the document stays valid: an empty
    object for a section of the table, else the default when it is a literal, else a value
    shaped by the type (null where nothing better is known). `nested`: the table's
    sections."""
    if info.default is not None and info.default_expr is None:
        return json.dumps(info.default, ensure_ascii=False)
    head = info.type.replace("Optional[", "").lstrip("( ").lower()
    if head.startswith(("list", "tuple", "sequence", "conlist")):
        return "[]"
    if head.startswith(("dict", "mapping")) or name in nested:
        return "{}"
    return "null"


def _json_filter(label: str, ctx: JsonContext) -> str:
    """What the client filters on: the range's text starts with a quote when one is typed."""
    if ctx.quoted and not label.startswith('"'):
        return f'"{label}"'
    return label


def complete_json(
    text: str,
    position: types.Position,
    converter: PositionConverter,
    markdown: bool,
    view: TableView | None,
) -> types.CompletionList | None:
    """Keys (or a key's allowed values) at an LSP position of a dialect file's JSON: each a
    text edit that leaves the member valid JSON (quotes, `: `, a value, commas)."""
    from tunelint.knowledge.options import sections

    if view is None:
        return None
    ctx = json_context(text, converter.from_lsp(position))
    if ctx is None:
        return None
    edit_range = converter.range_to_lsp(Range(ctx.start, ctx.end))
    comma = "," if ctx.comma_after else ""
    extra = None
    if ctx.comma_before is not None:
        at = converter.to_lsp(ctx.comma_before)
        extra = [types.TextEdit(range=types.Range(start=at, end=at), new_text=",")]
    items: list[types.CompletionItem] = []
    if not ctx.in_value:
        nested = frozenset(sections(view.framework))
        for order, name, info in _candidates(view, ctx.path, ctx.siblings, ctx.prefix):
            quoted = json.dumps(name, ensure_ascii=False)
            if ctx.has_colon:
                new_text = quoted
            else:
                new_text = f"{quoted}: {_json_default(name, info, nested)}{comma}"
            edit = types.TextEdit(range=edit_range, new_text=new_text)
            detail, match = info.type or view.framework, _json_filter(name, ctx)
            items.append(_item(name, _PROPERTY, detail, info, order, markdown, edit, match, extra))
    else:
        assert ctx.key is not None
        info = _lookup(view, (*ctx.path, ctx.key))
        if info is None:
            return None
        detail = f"{view.framework}: {info.key}"
        for order, value in enumerate(_values(info)):
            rendered = json.dumps(value, ensure_ascii=False)
            edit = types.TextEdit(range=edit_range, new_text=rendered + comma)
            label, match = _value_text(value), _json_filter(rendered, ctx)
            items.append(_item(label, _ENUM, detail, info, order, markdown, edit, match, extra))
    return _answer(items, ctx.prefix, not ctx.in_value) if items else None


def key_doc(result: LintResult | None, pos: Position) -> tuple[str, Range] | None:
    """The option table's docs of the key (or value) under `pos`, with its span."""
    from tunelint.knowledge.options import hover_text

    view = table_view(result)
    if view is None or result is None:
        return None
    hit = tree_path_at(result.document.root, pos)
    if hit is None or hit.entry is None:
        return None
    info = _lookup(view, hit.path)
    if info is None:
        return None
    span = hit.entry.key.range if hit.on_key else hit.entry.value.range
    text = hover_text(info)
    if view.version_note:
        text += f"\n\n*{view.version_note}*"
    return text, span
