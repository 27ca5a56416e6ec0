"""Hover: the rule's docs on a finding's span; a key's meaning from the Plan schema."""

from __future__ import annotations

from lsprotocol import types

from tunelint.checks.registry import get_rule
from tunelint.config.positions import Position, Range
from tunelint.server import dialect_keys, estimate
from tunelint.server.cursor import tree_path_at
from tunelint.server.linting import LintOutcome
from tunelint.server.plan_schema import plan_schema


def _contains(rng: Range, pos: Position) -> bool:
    return rng.start <= pos <= rng.end


def rule_sections(outcome: LintOutcome, pos: Position) -> tuple[list[str], Range | None]:
    """Docs of each rule whose finding covers `pos` (once per rule)."""
    result = outcome.result
    if result is None or not outcome.is_config:
        return [], None
    sections: list[str] = []
    seen: set[str] = set()
    span: Range | None = None
    for diagnostic in result.diagnostics:
        if diagnostic.file != result.path or not _contains(diagnostic.range, pos):
            continue
        if diagnostic.code in seen:
            continue
        seen.add(diagnostic.code)
        span = span or diagnostic.range
        rule = get_rule(diagnostic.code)
        header = f"**{diagnostic.code}** ({diagnostic.severity}): {diagnostic.message}"
        sections.append(f"{header}\n\n{rule.markdown(level=3)}" if rule else header)
    return sections, span


def key_section(outcome: LintOutcome, pos: Position) -> tuple[str | None, Range | None]:
    """What the key (or value) under `pos` means, from the Plan schema.

    Native files: the key path is the Plan path. Dialect files: the source map says which
    Plan field a key feeds, and the hover names both.
    """
    result = outcome.result
    if result is None or not outcome.is_config:
        return None, None
    document = result.document
    if result.dialect in (None, "native"):
        hit = tree_path_at(document.root, pos)
        if hit is None or hit.entry is None:
            return None, None
        field = plan_schema().field(hit.path)
        if field is None:
            return None, None
        span = hit.entry.key.range if hit.on_key else hit.entry.value.range
        return field.markdown(), span
    best: tuple[tuple[str, ...], Range, str | None] | None = None
    schema = plan_schema()
    for path, location in result.source_map.locations.items():
        if location.file is not None or schema.field(path) is None:
            continue  # another file, or a dialect-internal entry (not a Plan field)
        for rng in (location.key, location.value):
            if not _contains(rng, pos):
                continue
            # The innermost (latest-starting) range wins over an enclosing section.
            if best is None or rng.start > best[1].start:
                best = (path, rng, location.dialect_key)
    if best is None:
        return None, None
    path, span, dialect_key = best
    field = schema.field(path)
    assert field is not None
    dialect = _dialect(result.dialect)
    label = getattr(dialect, "label", result.dialect)
    written = f"`{dialect_key}`" if dialect_key else "this key"
    parts = [f"{label}: {written} → tunelint `{'.'.join(path)}`"]
    # A dialect may explain its own key (optional hook: `describe_key(key) -> str | None`).
    describe = getattr(dialect, "describe_key", None)
    own = describe(dialect_key) if callable(describe) and dialect_key else None
    if own:
        parts.append(str(own))
    parts.append(field.markdown())
    return "\n\n".join(parts), span


def memory_section(outcome: LintOutcome, pos: Position) -> tuple[str | None, Range | None]:
    """On the model's name: the estimate's component breakdown and what fits."""
    result = outcome.result
    if result is None or not outcome.is_config:
        return None, None
    span = estimate.model_span(result)
    if span is None or not _contains(span, pos):
        return None, None
    return estimate.hover_markdown(result), span


def _dialect(name: str | None) -> object | None:
    if name is None:
        return None
    from tunelint.config.dialects import get_dialect

    return get_dialect(name)


def hover(outcome: LintOutcome, position: types.Position, markdown: bool) -> types.Hover | None:
    """The hover at an LSP position: findings there first, then the key's meaning."""
    converter = outcome.converter
    pos = converter.from_lsp(position)
    sections, span = rule_sections(outcome, pos)
    memory_doc, memory_span = memory_section(outcome, pos)
    if memory_doc:
        sections.append(memory_doc)
        span = span or memory_span
    key_doc, key_span = key_section(outcome, pos)
    if key_doc:
        sections.append(key_doc)
        span = span or key_span
    table_doc = dialect_keys.key_doc(outcome.result, pos) if outcome.is_config else None
    if table_doc is not None:  # a dialect key: its framework's own docs
        sections.append(table_doc[0])
        span = span or table_doc[1]
    if not sections:
        return None
    text = "\n\n---\n\n".join(sections)
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(
        contents=types.MarkupContent(kind=kind, value=text),
        range=converter.range_to_lsp(span) if span is not None else None,
    )
