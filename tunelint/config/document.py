"""YAML/JSON documents parsed into a tree that keeps the exact range of every key and value.

Built on libyaml's composer (PyYAML `compose`): it yields nodes with start/end marks and
never constructs objects, so no tag can run code. Scalars are resolved here with the YAML 1.2
core schema; the YAML 1.1 reading (what PyYAML-based trainers see) is kept beside it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from tunelint.config.positions import LineIndex, Range

try:  # libyaml is in every PyYAML wheel; the pure-Python composer is the fallback
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 1024 * 1024  # configs are kilobytes; anything above 1 MiB is not a config
MAX_EXPANDED_NODES = 50_000  # alias expansion cap (billion-laughs)
MAX_DEPTH = 200

_STR = "tag:yaml.org,2002:str"
_CORE_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_CORE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_CORE_SPECIAL = {
    ".inf": float("inf"),
    "+.inf": float("inf"),
    "-.inf": float("-inf"),
    ".nan": float("nan"),
    ".Inf": float("inf"),
    "+.Inf": float("inf"),
    "-.Inf": float("-inf"),
    ".NaN": float("nan"),
    ".INF": float("inf"),
    "+.INF": float("inf"),
    "-.INF": float("-inf"),
    ".NAN": float("nan"),
}
_STANDARD_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}"
    for name in (
        "str",
        "int",
        "float",
        "bool",
        "null",
        "map",
        "seq",
        "timestamp",
        "binary",
        "merge",
        "value",
        "set",
        "omap",
        "pairs",
    )
)
_CORE_NULL = {"", "~", "null", "Null", "NULL"}
_CORE_TRUE = {"true", "True", "TRUE"}
_CORE_FALSE = {"false", "False", "FALSE"}


@dataclass(slots=True, eq=False)
class Scalar:
    value: Any
    raw: str
    range: Range
    style: str | None = None  # None plain, "'" / '"' quoted, "|" / ">" block
    tag: str = _STR  # the YAML 1.1 tag PyYAML resolves (what yaml.safe_load would build)

    @property
    def yaml11_value(self) -> Any:
        """The value a YAML 1.1 loader (PyYAML's safe_load) gives this scalar."""
        if self.style is not None or self.tag == _STR:
            return self.raw
        if self.tag.endswith(":bool"):
            return self.raw.lower() in {"yes", "y", "true", "on"}
        if self.tag.endswith(":null"):
            return None
        return self.value

    def plain(self) -> Any:
        return self.value


@dataclass(slots=True, eq=False)
class Entry:
    key: Scalar
    value: Node


@dataclass(slots=True, eq=False)
class Mapping:
    entries: list[Entry]
    range: Range
    flow: bool = False
    # Text keys -> entry, built on the first lookup (entries never change once parsed): the
    # dialect readers look keys up by path many times per file.
    _by_key: dict[str, Entry] | None = field(default=None, init=False, repr=False)

    def get(self, key: str) -> Entry | None:
        if not isinstance(key, str):
            for entry in reversed(self.entries):  # the last duplicate wins, as in loaders
                if entry.key.value == key:
                    return entry
            return None
        index = self._by_key
        if index is None:  # later duplicates overwrite earlier ones: the last one wins
            index = {e.key.value: e for e in self.entries if isinstance(e.key.value, str)}
            self._by_key = index
        return index.get(key)

    def keys(self) -> list[str]:
        return [str(e.key.value) for e in self.entries]

    def plain(self) -> dict[str, Any]:
        return {str(e.key.value): e.value.plain() for e in self.entries}


@dataclass(slots=True, eq=False)
class Sequence:
    items: list[Node]
    range: Range
    flow: bool = False

    def plain(self) -> list[Any]:
        return [item.plain() for item in self.items]


Node = Mapping | Sequence | Scalar


@dataclass(frozen=True, slots=True)
class ParseError:
    """A problem found while reading the text; `code` is the structural rule it maps to."""

    code: str
    message: str
    range: Range


@dataclass(frozen=True, slots=True)
class Suppression:
    """`# tunelint: ignore[TL301] reason` on `line` (0-based), covering it and the next."""

    codes: tuple[str, ...]
    reason: str
    line: int
    range: Range


_SUPPRESSION = re.compile(r"(?:^|\s)#\s*tunelint:\s*ignore(?:\[([^\]]*)\])?[ \t]*(.*)$")


@dataclass(slots=True)
class Document:
    text: str
    filename: str
    kind: str  # "yaml" | "json"
    root: Node | None
    errors: list[ParseError] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    _index: LineIndex | None = field(default=None, init=False, repr=False)

    @property
    def index(self) -> LineIndex:
        if self._index is None:
            self._index = LineIndex(self.text)
        return self._index

    def node_at(self, path: tuple[str, ...]) -> tuple[Entry | None, Node | None]:
        """The entry (key + value) at a mapping path, or (None, None) when absent."""
        node: Node | None = self.root
        entry: Entry | None = None
        for part in path:
            if not isinstance(node, Mapping):
                return None, None
            entry = node.get(part)
            if entry is None:
                return None, None
            node = entry.value
        return entry, node

    def plain(self) -> Any:
        return self.root.plain() if self.root is not None else None


def _range(node: yaml.Node) -> Range:
    s, e = node.start_mark, node.end_mark
    return Range.of(s.line, s.column, e.line, e.column)


def _resolve_core(raw: str) -> Any:
    """YAML 1.2 core schema: what the text means, independent of the 1.1 quirks."""
    if raw in _CORE_NULL:
        return None
    if raw in _CORE_TRUE:
        return True
    if raw in _CORE_FALSE:
        return False
    if _CORE_INT.match(raw):
        if raw.startswith("0o"):
            return int(raw[2:], 8)
        if raw.startswith("0x"):
            return int(raw[2:], 16)
        return int(raw)
    if _CORE_FLOAT.match(raw):
        return float(raw)
    if raw in _CORE_SPECIAL:
        return _CORE_SPECIAL[raw]
    return raw


class _Builder:
    """Turns composed libyaml nodes into our tree, with caps on aliases and depth."""

    def __init__(self, errors: list[ParseError]) -> None:
        self.errors = errors
        self.built: dict[int, Node] = {}
        self.sizes: dict[int, int] = {}
        self.active: set[int] = set()

    def expanded_size(self, node: yaml.Node) -> int:
        """Nodes the tree would have with every alias expanded (memoised: linear time)."""
        stack: list[tuple[yaml.Node, bool]] = [(node, False)]
        while stack:
            n, done = stack.pop()
            key = id(n)
            if key in self.sizes:
                continue
            if isinstance(n, yaml.ScalarNode):
                self.sizes[key] = 1
                continue
            children = (
                [c for pair in n.value for c in pair]
                if isinstance(n, yaml.MappingNode)
                else list(n.value)
            )
            if done:
                self.sizes[key] = 1 + sum(self.sizes.get(id(c), 0) for c in children)
                continue
            if key in self.active:  # recursive alias: count it once, reported by build()
                self.sizes[key] = 1
                continue
            self.active.add(key)
            stack.append((n, True))
            stack.extend((c, False) for c in children if id(c) not in self.sizes)
        self.active.clear()
        return self.sizes[id(node)]

    def build(self, node: yaml.Node, depth: int = 0) -> Node:
        key = id(node)
        if key in self.built:
            return self.built[key]
        if depth > MAX_DEPTH:
            raise _Limit("TL905", f"nesting deeper than {MAX_DEPTH} levels", _range(node))
        if key in self.active:
            raise _Limit("TL905", "recursive alias: a node that contains itself", _range(node))
        if node.tag not in _STANDARD_TAGS:
            self.errors.append(
                ParseError("TL900", f"unsupported tag {node.tag!r} ignored", _range(node))
            )
        result: Node
        if isinstance(node, yaml.ScalarNode):
            style = node.style or None
            value = node.value if style is not None else _resolve_core(node.value)
            result = Scalar(value, node.value, _range(node), style, node.tag)
        elif isinstance(node, yaml.SequenceNode):
            self.active.add(key)
            items = [self.build(child, depth + 1) for child in node.value]
            self.active.discard(key)
            result = Sequence(items, _range(node), bool(node.flow_style))
        else:
            self.active.add(key)
            entries: list[Entry] = []
            seen: dict[Any, Scalar] = {}
            for k, v in node.value:
                knode = self.build(k, depth + 1)
                if not isinstance(knode, Scalar):
                    self.errors.append(
                        ParseError("TL902", "keys must be plain values", knode.range)
                    )
                    continue
                if knode.raw == "<<" and knode.style is None:
                    self.errors.append(
                        ParseError("TL900", "merge keys (<<) are not supported", knode.range)
                    )
                    continue
                hashable = knode.value if not isinstance(knode.value, float) else knode.raw
                if hashable in seen:
                    first = seen[hashable].range.start.line + 1
                    self.errors.append(
                        ParseError(
                            "TL904",
                            f"duplicate key {knode.raw!r} (first on line {first}); "
                            "loaders keep only the last one",
                            knode.range,
                        )
                    )
                seen[hashable] = knode
                entries.append(Entry(knode, self.build(v, depth + 1)))
            self.active.discard(key)
            result = Mapping(entries, _range(node), bool(node.flow_style))
        self.built[key] = result
        return result


class _Limit(Exception):
    def __init__(self, code: str, message: str, range: Range) -> None:
        super().__init__(message)
        self.code, self.message, self.range = code, message, range


def _mark_range(mark: Any) -> Range:
    if mark is None:
        return Range.of(0, 0, 0, 0)
    return Range.of(mark.line, mark.column, mark.line, mark.column + 1)


def _suppressions(text: str) -> list[Suppression]:
    if "tunelint" not in text:
        return []
    found: list[Suppression] = []
    index = LineIndex(text)  # the parser's line breaks, not str.splitlines()'s wider set
    for number in range(index.line_count):
        line = index.line_text(number)
        if "tunelint" not in line:
            continue
        m = _SUPPRESSION.search(line)
        if m is None:
            continue
        codes = tuple(c.strip().upper() for c in (m.group(1) or "").split(",") if c.strip())
        start = m.start() + (1 if line[m.start()].isspace() else 0)
        found.append(
            Suppression(
                codes, m.group(2).strip(), number, Range.of(number, start, number, len(line))
            )
        )
    return found


def _kind_for(filename: str, text: str) -> str:
    lower = filename.lower()
    if lower.endswith((".json", ".jsonc")):
        return "json"
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    return "json" if text.lstrip().startswith("{") else "yaml"


def decode(data: bytes) -> tuple[str | None, ParseError | None]:
    """Bytes to text: UTF-8 (with or without BOM) or UTF-16 with a BOM; else a clear error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n")
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1)
        return None, ParseError(
            "TL900",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            Range.of(line, col, line, col + 1),
        )


def parse_document(text: str, filename: str = "<stdin>") -> Document:
    """Parse YAML or JSON text into a Document; never raises on bad input."""
    kind = _kind_for(filename, text)
    errors: list[ParseError] = []
    if len(text) > MAX_BYTES:
        size = len(text.encode("utf-8", "surrogatepass")) / (1024 * 1024)
        errors.append(
            ParseError(
                "TL905",
                f"file is {size:.1f} MiB; tunelint reads configs up to "
                f"{MAX_BYTES // (1024 * 1024)} MiB",
                Range.of(0, 0, 0, 0),
            )
        )
        return Document(text, filename, kind, None, errors)
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00"))
        errors.append(ParseError("TL900", "binary content (NUL byte)", Range.of(line, 0, line, 1)))
        return Document(text, filename, kind, None, errors)
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            errors.append(
                ParseError(
                    "TL900",
                    f"JSON syntax error: {exc.msg}",
                    Range.of(exc.lineno - 1, exc.colno - 1, exc.lineno - 1, exc.colno),
                )
            )
            return Document(text, filename, kind, None, errors)
        except RecursionError:
            errors.append(ParseError("TL905", "nesting too deep", Range.of(0, 0, 0, 1)))
            return Document(text, filename, kind, None, errors)
    root: Node | None = None
    try:
        composed = yaml.compose(text, Loader=_Loader)
        if composed is not None:
            builder = _Builder(errors)
            # Without an anchor there is no alias to expand: skip the size pass.
            size = builder.expanded_size(composed) if "&" in text else 0
            if size > MAX_EXPANDED_NODES:
                raise _Limit(
                    "TL905",
                    f"aliases expand to {size:,} nodes (limit {MAX_EXPANDED_NODES:,}): "
                    "an alias bomb?",
                    _range(composed),
                )
            root = builder.build(composed)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if "maximum nesting depth" in str(exc):
            errors.append(ParseError("TL905", "nesting too deep", _mark_range(mark)))
        else:
            errors.append(ParseError("TL900", f"YAML syntax error: {problem}", _mark_range(mark)))
    except yaml.YAMLError as exc:  # e.g. multiple documents, reader errors
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(ParseError("TL900", f"YAML error: {message}", _mark_range(mark)))
    except _Limit as exc:
        errors.append(ParseError(exc.code, exc.message, exc.range))
    except RecursionError:
        errors.append(ParseError("TL905", "nesting too deep", Range.of(0, 0, 0, 1)))
    doc = Document(text, filename, kind, root, errors)
    doc.suppressions = _suppressions(text)
    return doc
