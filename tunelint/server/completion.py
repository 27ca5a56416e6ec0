"""Completion in native configs: keys valid at the cursor, enum values, GPU and model names."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from lsprotocol import types

from tunelint.config.positions import Position, Range
from tunelint.server.cursor import LineContext, line_context
from tunelint.server.plan_schema import FieldDoc, plan_schema
from tunelint.server.positions import PositionConverter

GPU_PATH = ("hardware", "gpu")
MODEL_PATH = ("model", "name")


def _doc(text: str, markdown: bool) -> types.MarkupContent:
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.MarkupContent(kind=kind, value=text)


def _key_items(
    ctx: LineContext, edit_range: types.Range, markdown: bool
) -> list[types.CompletionItem]:
    items = []
    for order, field in enumerate(plan_schema().children(ctx.path)):
        if field.name in ctx.siblings:
            continue
        insert = f"{field.name}:" if field.is_section else f"{field.name}: "
        items.append(
            types.CompletionItem(
                label=field.name,
                kind=types.CompletionItemKind.Module
                if field.is_section
                else types.CompletionItemKind.Property,
                detail=field.type_label,
                documentation=_doc(field.markdown(), markdown),
                sort_text=f"{0 if field.required else 1}{order:03d}",
                filter_text=field.name,
                text_edit=types.TextEdit(range=edit_range, new_text=insert),
            )
        )
    return items


def _value_item(
    label: str,
    kind: types.CompletionItemKind,
    detail: str,
    documentation: str,
    order: int,
    edit_range: types.Range,
    markdown: bool,
) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=_doc(documentation, markdown),
        sort_text=f"{order:04d}",
        filter_text=label,
        text_edit=types.TextEdit(range=edit_range, new_text=label),
    )


def _gpu_items(edit_range: types.Range, markdown: bool) -> list[types.CompletionItem]:
    from tunelint.knowledge.gpus import gpu_names, resolve_gpu

    items = [
        _value_item(
            "auto",
            types.CompletionItemKind.Keyword,
            "detect the local GPU",
            "Detect the GPU of the machine that runs `tunelint` (NVML).",
            0,
            edit_range,
            markdown,
        )
    ]
    for order, name in enumerate(gpu_names(), start=1):
        spec = resolve_gpu(name)
        if spec is None:
            detail, doc = "GPU", name
        else:
            cc = (
                f", compute capability {spec.compute_capability}" if spec.compute_capability else ""
            )
            detail = f"{spec.memory_gb:g} GB, {spec.architecture}"
            doc = (
                f"**{spec.name}**: {spec.vendor} {spec.architecture}{cc}; "
                f"{spec.memory_gb:g} GB; bf16: {'yes' if spec.bf16 else 'no'}; "
                f"fp8: {'yes' if spec.fp8 else 'no'}"
            )
        items.append(
            _value_item(
                name, types.CompletionItemKind.Value, detail, doc, order, edit_range, markdown
            )
        )
    return items


def _model_names() -> list[str]:
    """Names from the model catalog, when that module exists (another engineer writes it)."""
    try:
        module = importlib.import_module("tunelint.knowledge.models")
    except ImportError:
        return []
    names: Callable[[], list[str]] | None = getattr(module, "model_names", None)
    return list(names()) if callable(names) else []


def _model_items(edit_range: types.Range, markdown: bool) -> list[types.CompletionItem]:
    return [
        _value_item(
            name,
            types.CompletionItemKind.Value,
            "model catalog",
            f"`{name}` from tunelint's model catalog (architecture known to the memory estimator).",
            order,
            edit_range,
            markdown,
        )
        for order, name in enumerate(_model_names())
    ]


def _enum_items(
    field: FieldDoc, edit_range: types.Range, markdown: bool
) -> list[types.CompletionItem]:
    values: list[str] = [str(v) for v in field.allowed if v is not None]
    if field.is_boolean and not values:
        values = ["true", "false"]
    return [
        _value_item(
            value,
            types.CompletionItemKind.EnumMember,
            f"{'.'.join(field.path)}",
            field.markdown(),
            order,
            edit_range,
            markdown,
        )
        for order, value in enumerate(values)
    ]


def complete(
    text: str, position: types.Position, converter: PositionConverter, markdown: bool
) -> types.CompletionList | None:
    """Completions at an LSP position of a native config's text."""
    pos = converter.from_lsp(position)
    ctx = line_context(text, pos)
    if ctx is None:
        return None
    edit_range = converter.range_to_lsp(Range(ctx.start, Position(pos.line, pos.column)))
    if not ctx.in_value:
        if ctx.in_sequence:
            return None
        return types.CompletionList(
            is_incomplete=False, items=_key_items(ctx, edit_range, markdown)
        )
    assert ctx.key is not None
    path = (*ctx.path, ctx.key)
    field = plan_schema().field(path)
    if field is None or field.is_section:
        return None
    if path == GPU_PATH:
        items = _gpu_items(edit_range, markdown)
    elif path == MODEL_PATH:
        items = _model_items(edit_range, markdown)
    else:
        items = _enum_items(field, edit_range, markdown)
    return types.CompletionList(is_incomplete=False, items=items) if items else None
