"""Completion and hover in dialect files (axolotl, LLaMA-Factory, TRL, torchtune, DeepSpeed,
accelerate) from the frameworks' option tables: the keys valid at the cursor's mapping
level with type, default and docs, and the allowed values of a key's value.

The file's table, section and version are the ones the key rules use (the dialect's
`OptionScope` fact and tunelint.config.versions); a table loads on first use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from tunelint.config.dialects.facts import OptionScope
from tunelint.config.positions import Position, Range
from tunelint.config.versions import resolve_version
from tunelint.server.cursor import line_context, tree_path_at
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


def complete(
    text: str,
    position: types.Position,
    converter: PositionConverter,
    markdown: bool,
    result: LintResult | None,
) -> types.CompletionList | None:
    """Keys (or a key's allowed values) at an LSP position of a dialect file's YAML."""
    from tunelint.knowledge.options import hover_text

    view = table_view(result)
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
        for order, (name, info) in enumerate(sorted(_keys(view, ctx.path).items())):
            if name in ctx.siblings:
                continue
            items.append(
                types.CompletionItem(
                    label=name,
                    kind=types.CompletionItemKind.Property,
                    detail=info.type or view.framework,
                    documentation=_markup(hover_text(info), markdown),
                    sort_text=f"{order:04d}",
                    filter_text=name,
                    text_edit=types.TextEdit(range=edit_range, new_text=f"{name}: "),
                )
            )
    else:
        assert ctx.key is not None
        info = _lookup(view, (*ctx.path, ctx.key))
        if info is None:
            return None
        values = [_value_text(c) for c in info.choices or () if c is not None]
        alternatives = info.type.replace(" ", "").replace("Optional[bool]", "bool").split("|")
        if "bool" in alternatives:  # `Literal["auto"] | bool`: the flags too
            values += [v for v in ("true", "false") if v not in values]
        for order, value in enumerate(values):
            items.append(
                types.CompletionItem(
                    label=value,
                    kind=types.CompletionItemKind.EnumMember,
                    detail=f"{view.framework}: {info.key}",
                    documentation=_markup(hover_text(info), markdown),
                    sort_text=f"{order:04d}",
                    filter_text=value,
                    text_edit=types.TextEdit(range=edit_range, new_text=value),
                )
            )
    return types.CompletionList(is_incomplete=False, items=items) if items else None


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
