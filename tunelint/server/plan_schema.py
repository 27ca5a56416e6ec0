"""The native format's keys as the Plan's JSON Schema describes them: for hover and completion.

The schema is the published one (`Plan.model_json_schema`), so the editor explains exactly
what `schemas/` and the docs say.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class FieldDoc:
    """One key of the native format."""

    path: tuple[str, ...]
    description: str
    type_label: str
    allowed: tuple[Any, ...] = ()  # enum values, in schema order
    default: Any = _MISSING
    required: bool = False
    is_section: bool = False
    is_boolean: bool = False

    @property
    def name(self) -> str:
        return self.path[-1] if self.path else ""

    @property
    def has_default(self) -> bool:
        return self.default is not _MISSING

    def markdown(self) -> str:
        """Hover / completion documentation."""
        lines = [f"**`{'.'.join(self.path)}`** · {self.type_label}"]
        if self.required:
            lines[0] += " · required"
        if self.description:
            lines += ["", self.description]
        if self.allowed:
            values = " · ".join(f"`{_yaml(v)}`" for v in self.allowed)
            lines += ["", f"Allowed: {values}"]
        if self.has_default:
            shown = "unset" if self.default is None else f"`{_yaml(self.default)}`"
            lines += ["", f"Default: {shown}"]
        return "\n".join(lines)


def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value)


class PlanSchema:
    """Walks the Plan's JSON Schema by key path."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._defs: Mapping[str, Any] = schema.get("$defs", {})

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = self._defs.get(ref.removeprefix("#/$defs/"), {})
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            return merged
        return node

    def _alternatives(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """The non-null alternatives of a property (anyOf flattened, refs resolved)."""
        node = self._resolve(node)
        options = node.get("anyOf") or node.get("oneOf")
        if not options:
            return [node]
        return [self._resolve(o) for o in options if o.get("type") != "null"]

    def _object(self, node: Mapping[str, Any]) -> Mapping[str, Any] | None:
        for alternative in self._alternatives(node):
            if alternative.get("type") == "object" or "properties" in alternative:
                return alternative
        return None

    def _node(self, path: tuple[str, ...]) -> tuple[Mapping[str, Any], bool] | None:
        node: Mapping[str, Any] = self._schema
        required = False
        for part in path:
            obj = self._object(node) if node is not self._schema else node
            if obj is None:
                return None
            properties = obj.get("properties", {})
            if part not in properties:
                return None
            required = part in obj.get("required", ())
            node = properties[part]
        return node, required

    def field(self, path: tuple[str, ...]) -> FieldDoc | None:
        """The key at `path` (e.g. `("training", "learning_rate")`), or None if unknown."""
        if not path:
            return None
        found = self._node(path)
        if found is None:
            return None
        node, required = found
        alternatives = self._alternatives(node)
        allowed: list[Any] = []
        labels: list[str] = []
        is_section = False
        is_boolean = False
        for alternative in alternatives:
            if "enum" in alternative:
                allowed.extend(v for v in alternative["enum"] if v not in allowed)
                continue
            kind = alternative.get("type")
            if kind == "object" or "properties" in alternative:
                is_section = True
                labels.append("section")
            elif kind == "array":
                item = alternative.get("items", {}).get("type", "value")
                labels.append(f"list of {item}s")
            elif isinstance(kind, str):
                is_boolean = is_boolean or kind == "boolean"
                labels.append(kind + _bounds(alternative))
        if allowed:
            labels.insert(0, "choice")
        if any(o.get("type") == "null" for o in self._resolve(node).get("anyOf", ())):
            labels.append("null")
        resolved = self._resolve(node)
        return FieldDoc(
            path=path,
            description=str(node.get("description") or resolved.get("description") or ""),
            type_label=" or ".join(labels) or "value",
            allowed=tuple(allowed),
            default=node.get("default", _MISSING),
            required=required,
            is_section=is_section,
            is_boolean=is_boolean,
        )

    def children(self, path: tuple[str, ...]) -> list[FieldDoc]:
        """The keys a mapping at `path` may hold (`()`: the top level); [] for non-sections."""
        if path:
            found = self._node(path)
            if found is None:
                return []
            obj = self._object(found[0])
        else:
            obj = self._schema
        if obj is None:
            return []
        fields = (self.field((*path, name)) for name in obj.get("properties", {}))
        return [f for f in fields if f is not None]


def _bounds(node: Mapping[str, Any]) -> str:
    parts = []
    for key, symbol in (
        ("minimum", ">="),
        ("exclusiveMinimum", ">"),
        ("maximum", "<="),
        ("exclusiveMaximum", "<"),
    ):
        if key in node:
            parts.append(f"{symbol} {node[key]}")
    return f" ({', '.join(parts)})" if parts else ""


@lru_cache(maxsize=1)
def plan_schema() -> PlanSchema:
    """The native format's schema, built once."""
    from tunelint.config.plan import Plan

    return PlanSchema(Plan.model_json_schema(by_alias=True))
