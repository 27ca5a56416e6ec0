"""Minimal text edits of a YAML/JSON document by key path.

Only the edited span changes: a replaced value keeps its key, its trailing comment and every
other byte; an inserted key goes after the last entry of its mapping, at that mapping's
indentation; a removed key takes its own lines (or its flow entry) and nothing else.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tunelint.config.document import Document, Entry, Mapping, Node, Scalar, Sequence
from tunelint.config.positions import Position, Range, TextEdit

_PLAIN_SAFE = re.compile(r"^[A-Za-z_][A-Za-z0-9_./@+-]*$")
_YAML_WORDS = {
    "y",
    "n",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "false",
    "null",
    "nan",
    "inf",
    "~",
}


def render_value(value: Any, as_json: bool = False) -> str:
    """A value as it should be written: JSON literals in JSON, readable plain YAML otherwise."""
    if as_json:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        # YAML 1.1 loaders read `2e-05` as a string: always write a dot before the exponent.
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {render_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    if _PLAIN_SAFE.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def last_content_line(doc: Document, node: Node | Scalar) -> int:
    """The last line that holds this node's own text (block collections end at the next token)."""
    end = node.range.end
    line = end.line if end.column > 0 else end.line - 1
    first = node.range.start.line
    while line > first:
        stripped = doc.index.line_text(line).strip()
        if stripped and not stripped.startswith("#"):
            break
        line -= 1
    return max(line, first)


def _indent_step(doc: Document) -> int:
    """The document's indentation step (2 unless it nests with another width)."""
    root = doc.root
    if isinstance(root, Mapping):
        for entry in root.entries:
            value = entry.value
            if isinstance(value, Mapping) and not value.flow and value.entries:
                step = value.entries[0].key.range.start.column - entry.key.range.start.column
                if step > 0:
                    return step
    return 2


def _block_lines(key_path: list[str], value: Any, indent: int, step: int) -> list[str]:
    """`a: {b: v}` as nested block lines starting at `indent`."""
    lines: list[str] = []
    for depth, key in enumerate(key_path[:-1]):
        lines.append(" " * (indent + depth * step) + f"{render_value(key)}:")
    depth = len(key_path) - 1
    lines.append(
        " " * (indent + depth * step) + f"{render_value(key_path[-1])}: {render_value(value)}"
    )
    return lines


def _json_members(key_path: list[str], value: Any) -> str:
    inner: Any = value
    for key in reversed(key_path[1:]):
        inner = {key: inner}
    return f"{json.dumps(key_path[0])}: {json.dumps(inner, ensure_ascii=False)}"


def set_value(doc: Document, path: tuple[str, ...], value: Any) -> list[TextEdit] | None:
    """Edits that make `path` hold `value`, creating missing mappings; None if impossible."""
    as_json = doc.kind == "json"
    node: Node | None = doc.root
    parent: Mapping | None = None
    depth = 0
    entry: Entry | None = None
    for depth, key in enumerate(path):  # noqa: B007 - depth is used after the loop
        if not isinstance(node, Mapping):
            return None
        parent = node
        entry = node.get(key)
        if entry is None:
            break
        node = entry.value
    else:
        assert entry is not None
        target = entry.value
        if isinstance(target, Scalar):
            if (target.value == value and not isinstance(value, bool | type(None))) or (
                target.value is value
            ):
                return []
            return [TextEdit(target.range, render_value(value, as_json))]
        if (isinstance(target, Sequence) and target.flow) or (
            isinstance(target, Mapping) and target.flow
        ):
            return [TextEdit(target.range, render_value(value, as_json))]
        # A block collection replaced by a scalar: rewrite from after the colon to its end.
        key_end = entry.key.range.end
        last = last_content_line(doc, target)
        end = Position(last, len(doc.index.line_text(last)))
        return [
            TextEdit(
                Range(Position(key_end.line, key_end.column), end),
                ": " + render_value(value, as_json),
            )
        ]
    if parent is None:
        return None
    missing = list(path[depth:])
    return _insert(doc, parent, missing, value)


def _insert(
    doc: Document, mapping: Mapping, key_path: list[str], value: Any
) -> list[TextEdit] | None:
    if mapping.flow or doc.kind == "json":
        member = (
            _json_members(key_path, value)
            if doc.kind == "json"
            else (f"{render_value(key_path[0])}: " + render_value(_nest(key_path[1:], value)))
        )
        if mapping.entries:
            last = mapping.entries[-1]
            end = last.value.range.end
            first_key = mapping.entries[0].key.range.start
            if first_key.line != mapping.range.start.line:  # one member per line: keep that
                indent = " " * first_key.column
                return [TextEdit(Range(end, end), f",\n{indent}{member}")]
            return [TextEdit(Range(end, end), f", {member}")]
        start = mapping.range.start
        pos = Position(start.line, start.column + 1)
        return [TextEdit(Range(pos, pos), member)]
    step = _indent_step(doc)
    if mapping.entries:
        indent = mapping.entries[0].key.range.start.column
        last_entry = mapping.entries[-1]
        line = last_content_line(doc, last_entry.value)
        line = max(line, last_entry.key.range.start.line)
        pos = Position(line, len(doc.index.line_text(line)))
        text = "\n" + "\n".join(_block_lines(key_path, value, indent, step))
        return [TextEdit(Range(pos, pos), text)]
    return None


def _nest(keys: list[str], value: Any) -> Any:
    for key in reversed(keys):
        value = {key: value}
    return value


def remove_key(doc: Document, path: tuple[str, ...]) -> list[TextEdit] | None:
    """Edits that delete the entry at `path` (key, value and the lines they own)."""
    if not path:
        return None
    _entry, parent = doc.node_at(path[:-1]) if len(path) > 1 else (None, doc.root)
    if not isinstance(parent, Mapping):
        return None
    index = next((i for i, e in enumerate(parent.entries) if e.key.value == path[-1]), None)
    if index is None:
        return []
    entry = parent.entries[index]
    if parent.flow or doc.kind == "json":
        start = entry.key.range.start
        end = entry.value.range.end
        if index + 1 < len(parent.entries):
            end = parent.entries[index + 1].key.range.start
            # keep the quote of a JSON key: ranges of quoted scalars include the quote
        elif index > 0:
            start = parent.entries[index - 1].value.range.end
        return [TextEdit(Range(start, end), "")]
    first_line = entry.key.range.start.line
    last_line = last_content_line(doc, entry.value)
    if first_line != entry.key.range.start.line or doc.index.line_text(first_line)[
        : entry.key.range.start.column
    ].strip() not in ("", "-"):
        return None
    start = Position(first_line, 0)
    if last_line + 1 < doc.index.line_count:
        end = Position(last_line + 1, 0)
    else:  # last line of the file: take the newline before it instead
        end = Position(last_line, len(doc.index.line_text(last_line)))
        if first_line > 0:
            start = Position(first_line - 1, len(doc.index.line_text(first_line - 1)))
    return [TextEdit(Range(start, end), "")]
