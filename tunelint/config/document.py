"""YAML/JSON documents parsed into a tree that keeps the exact range of every key and value.

Built on libyaml's composer (PyYAML `compose`): it yields nodes with start/end marks and
never constructs objects, so no tag can run code. Scalars are resolved here with the YAML 1.2
core schema; the YAML 1.1 reading (what PyYAML-based trainers see) is kept beside it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import yaml

from tunelint.config.positions import LineIndex, Position, Range

_new = tuple.__new__  # Position/Range are NamedTuples; their own __new__ is Python code

try:  # libyaml is in every PyYAML wheel; the pure-Python composer is the fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_RESOLVER = yaml.resolver.Resolver()  # the implicit resolvers of PyYAML's safe loaders
_SCALAR_NODE = yaml.ScalarNode


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe loader, with tag resolution put off: the composer asks for every value's
    YAML 1.1 tag (regular expressions per plain value) and for the resolver path of every
    node, but the tree reads the tag of few values (`Scalar.tag`) and no path resolver is
    registered."""

    def resolve(self, kind: type, value: str | None, implicit: Any) -> str | None:
        if kind is yaml.ScalarNode and implicit[0]:
            return None  # a plain value: `Scalar.tag` resolves it when asked
        return _RESOLVER.resolve(kind, value, implicit)

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass


@lru_cache(maxsize=4096)
def _yaml11_tag(raw: str) -> str:
    """The tag PyYAML's safe loader gives a plain, untagged value."""
    return _RESOLVER.resolve(yaml.ScalarNode, raw, (True, False))


MAX_BYTES = 1024 * 1024  # configs are kilobytes; anything above 1 MiB is not a config
MAX_EXPANDED_NODES = 50_000  # alias expansion cap (billion-laughs)
MAX_NODES = 50_000  # values in the text itself: counted on parser events, before any tree
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
_NUMERIC_START = frozenset("0123456789+-.")  # what every int, float and special starts with
_CORE_NULL = {"", "~", "null", "Null", "NULL"}
_CORE_TRUE = {"true", "True", "TRUE"}
_CORE_FALSE = {"false", "False", "FALSE"}


@dataclass(slots=True, eq=False)
class Scalar:
    value: Any
    raw: str
    range: Range
    style: str | None = None  # None plain, "'" / '"' quoted, "|" / ">" block
    # The YAML 1.1 tag; None for a plain untagged value until `tag` is first read.
    _tag: str | None = field(default=_STR, repr=False)

    @property
    def tag(self) -> str:
        """The YAML 1.1 tag PyYAML resolves (what yaml.safe_load would build)."""
        if self._tag is None:
            self._tag = _yaml11_tag(self.raw)
        return self._tag

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
    _keys: tuple[str, ...] | None = field(default=None, init=False, repr=False)

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
        # Made once: detection asks every dialect for the top-level keys.
        if self._keys is None:
            self._keys = tuple(str(e.key.value) for e in self.entries)
        return list(self._keys)

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


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
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

    @property
    def newline(self) -> str:
        """The file's line break (its first one), which inserted lines must use too."""
        match = _LINE_BREAK.search(self.text)
        return match.group() if match else "\n"

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


def _range(index: LineIndex, node: yaml.Node) -> Range:
    """A node's range in LSP lines: from the marks' character offsets, never their line and
    column, which count U+2028/U+0085 as line breaks (YAML 1.1) where editors do not."""
    return Range(index.position(node.start_mark.index), index.position(node.end_mark.index))


_MAX_INT_BITS = 12_000  # about 3,600 digits: below Python's int-str limit (4,300 digits)


def _int(digits: str, base: int) -> int | float:
    """An integer; one too long to print (Python refuses to str() it past 4,300 digits, which
    would crash every message that quotes it) is read as an infinity: no config means it."""
    try:
        value = int(digits, base)
    except ValueError:
        return float("-inf") if digits.startswith("-") else float("inf")
    if value.bit_length() > _MAX_INT_BITS:
        return float("inf") if value > 0 else float("-inf")
    return value


def _resolve_core(raw: str) -> Any:
    """YAML 1.2 core schema: what the text means, independent of the 1.1 quirks."""
    if raw in _CORE_NULL:
        return None
    if raw in _CORE_TRUE:
        return True
    if raw in _CORE_FALSE:
        return False
    if raw[0] not in _NUMERIC_START:  # most values: no number, no .inf/.nan, as written
        return raw
    if _CORE_INT.match(raw):
        if raw.startswith("0o"):
            return _int(raw[2:], 8)
        if raw.startswith("0x"):
            return _int(raw[2:], 16)
        return _int(raw, 10)
    if _CORE_FLOAT.match(raw):
        return float(raw)
    if raw in _CORE_SPECIAL:
        return _CORE_SPECIAL[raw]
    return raw


# Plain value -> its YAML 1.2 reading (immutable: str, int, float, bool, None), shared by
# every document: key names and flags repeat across files.
_CORE_READINGS: dict[str, Any] = {}
_UNREAD = object()


class _Builder:
    """Turns composed libyaml nodes into our tree, with caps on aliases and depth."""

    def __init__(self, errors: list[ParseError], index: LineIndex) -> None:
        self.errors = errors
        self.index = index
        # libyaml breaks lines at CR, LF, CRLF and also U+0085/U+2028/U+2029; without the
        # last three its lines and columns are LSP's.
        text = index.text
        self.marks_are_lsp = not ("\x85" in text or "\u2028" in text or "\u2029" in text)
        # Without an anchor no node is shared (no alias): nothing to memoise or to watch for
        # recursion, which saves a dict and a set operation per value.
        self.shared = "&" in text
        self.child = self.build if self.shared else self.tree  # how children are built
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
        if not self.shared:
            return self.tree(node, depth)
        key = id(node)
        known = self.built.get(key)
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            raise _Limit("TL905", f"nesting deeper than {MAX_DEPTH} levels", self.range(node))
        if key in self.active:
            raise _Limit("TL905", "recursive alias: a node that contains itself", self.range(node))
        self.active.add(key)
        result = self.tree(node, depth)
        self.active.discard(key)
        self.built[key] = result
        return result

    def tree(self, node: yaml.Node, depth: int) -> Node:
        """One node and, through `build`, its children."""
        if depth > MAX_DEPTH:
            raise _Limit("TL905", f"nesting deeper than {MAX_DEPTH} levels", self.range(node))
        # Tags (`!ENV`, mkdocs' `!!python/name:...`) are valid YAML: the node is kept as
        # written and nothing is constructed, so no tag can run code.
        kind = node.__class__
        if kind is _SCALAR_NODE:
            return self.scalar(node)
        span = self.range(node)
        if kind is yaml.SequenceNode:
            if depth >= MAX_DEPTH or self.shared:  # too deep (`tree` says so), or aliased
                items = [self.child(child, depth + 1) for child in node.value]
            else:  # scalar items built directly: a long list is most of a file
                build, scalar = self.child, self.scalar
                items = [
                    scalar(c) if c.__class__ is _SCALAR_NODE else build(c, depth + 1)
                    for c in node.value
                ]
            return Sequence(items, span, bool(node.flow_style))
        return Mapping(self.entries(node, depth), span, bool(node.flow_style))

    def scalar(self, node: yaml.ScalarNode) -> Scalar:
        """A scalar node (no depth to check: its parent's children are not too deep)."""
        if self.marks_are_lsp:  # `range`, inline: this runs for most values of a file
            s, e = node.start_mark, node.end_mark
            span = _new(
                Range, (_new(Position, (s.line, s.column)), _new(Position, (e.line, e.column)))
            )
        else:
            span = _range(self.index, node)
        style = node.style or None
        raw = node.value
        if style is not None:
            value = raw
        else:
            value = _CORE_READINGS.get(raw, _UNREAD)
            if value is _UNREAD:
                value = _resolve_core(raw)
                if len(raw) <= 64 and len(_CORE_READINGS) < 4096:
                    _CORE_READINGS[raw] = value
        return Scalar(value, raw, span, style, node.tag)

    def range(self, node: yaml.Node) -> Range:
        """A node's range: this runs once per value, so it is made inline (tuple.__new__, not
        NamedTuple's Python constructor)."""
        if self.marks_are_lsp:  # the same lines either way: take the marks as they are
            s, e = node.start_mark, node.end_mark
            return _new(
                Range, (_new(Position, (s.line, s.column)), _new(Position, (e.line, e.column)))
            )
        return _range(self.index, node)

    def entries(self, node: yaml.MappingNode, depth: int) -> list[Entry]:
        """A mapping's entries; merge keys (`<<: *base`) bring in the merged mappings' entries
        (with their own positions) under the keys written here, as PyYAML's loader does."""
        entries: list[Entry] = []
        merged: list[Entry] = []
        seen: dict[Any, Scalar] = {}
        build = self.child
        # Scalar keys and values built directly (most of them), unless too deep or possibly
        # aliased (`build` makes one Scalar of a node however many aliases name it).
        scalar = self.scalar if depth < MAX_DEPTH and not self.shared else None
        for k, v in node.value:
            if scalar is not None and k.__class__ is _SCALAR_NODE:
                knode: Node = scalar(k)
            else:
                knode = build(k, depth + 1)
            if knode.__class__ is not Scalar:
                self.errors.append(ParseError("TL902", "keys must be plain values", knode.range))
                continue
            # A plain untagged key is a merge key only as `<<` (the resolver's one pattern).
            tagged = knode._tag
            if knode.style is None and (knode.raw == "<<" or (tagged or "").endswith(":merge")):
                merged.extend(self.merged(v, depth))
                continue
            key = knode.value
            hashable = key if key.__class__ is not float else knode.raw
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
            if scalar is not None and v.__class__ is _SCALAR_NODE:
                entries.append(Entry(knode, scalar(v)))
            else:
                entries.append(Entry(knode, build(v, depth + 1)))
        if not merged:
            return entries
        written = {e.key.value for e in entries}
        taken: list[Entry] = []
        for entry in merged:  # the first source of a key wins, a key written here wins over all
            if entry.key.value not in written:
                written.add(entry.key.value)
                taken.append(entry)
        return taken + entries

    def merged(self, value: yaml.Node, depth: int) -> list[Entry]:
        sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
        out: list[Entry] = []
        for source in sources:
            built = self.build(source, depth + 1)
            if isinstance(built, Mapping):
                out.extend(built.entries)
            else:
                self.errors.append(
                    ParseError(
                        "TL900", "a merge key (<<) takes a mapping or a list of them", built.range
                    )
                )
        return out


class _Limit(Exception):
    def __init__(self, code: str, message: str, range: Range) -> None:
        super().__init__(message)
        self.code, self.message, self.range = code, message, range


def _mark_range(index: LineIndex, mark: Any) -> Range:
    if mark is None:
        return Range.of(0, 0, 0, 0)
    start = index.position(mark.index)
    return Range(start, Position(start.line, start.column + 1))


def _suppressions(index: LineIndex) -> list[Suppression]:
    found: list[Suppression] = []
    text = index.text
    at = text.find("tunelint")
    last = -1
    # Only the lines that mention tunelint (found by str.find, not a walk over every line).
    while at != -1:
        number = index.position(at).line
        at = text.find("tunelint", at + 8)
        if number == last:
            continue
        last = number
        line = index.line_text(number)
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


@dataclass(frozen=True, slots=True)
class Encoding:
    """How a file's bytes were written, so that a fix writes them back the same way."""

    codec: str = "utf-8"
    bom: bytes = b""

    def encode(self, text: str) -> bytes:
        return self.bom + text.encode(self.codec, "surrogatepass")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def sniff_encoding(data: bytes) -> Encoding:
    """The encoding `decode` reads these bytes with (its BOM kept for writing back)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Encoding(codec, bom)
    return Encoding()


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


def _count_nodes(text: str, index: LineIndex) -> None:
    """Stop at MAX_NODES values while reading parser events, before any node is built: a flow
    list of half a million items would otherwise cost seconds and hundreds of MB."""
    count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, _NODE_EVENTS):
            count += 1
            if count > MAX_NODES:
                raise _Limit(
                    "TL905",
                    f"more than {MAX_NODES:,} values: not a config tunelint reads",
                    _mark_range(index, event.start_mark),
                )


def _most_values(text: str) -> int:
    """An upper bound on the values (node events) the text can hold, from its indicators.

    Besides the root, every value follows an indicator that introduces it: a block
    sequence entry (`-`), a mapping pair (`:`, or `?` for an explicit key; key and value:
    two per pair), or a flow item (`[`, `{`, `,`; a flow mapping item is a pair). Counting
    those characters anywhere (in comments and strings too) only raises the bound, and a
    further document needs a `---`. A 5,000-line config then skips the counting pass.
    """
    indicators = sum(text.count(c) for c in "-:?,[{")
    return 1 + 2 * indicators


_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


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
    index = LineIndex(text)
    if "\x00" in text:
        line = index.position(text.index("\x00")).line
        errors.append(ParseError("TL900", "binary content (NUL byte)", Range.of(line, 0, line, 1)))
        return Document(text, filename, kind, None, errors)
    if kind == "json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            at = index.position(exc.pos)
            errors.append(
                ParseError(
                    "TL900",
                    f"JSON syntax error: {exc.msg}",
                    Range(at, Position(at.line, at.column + 1)),
                )
            )
            return Document(text, filename, kind, None, errors)
        except RecursionError:
            errors.append(ParseError("TL905", "nesting too deep", Range.of(0, 0, 0, 1)))
            return Document(text, filename, kind, None, errors)
    root: Node | None = None
    try:
        # Each value takes at least one character: only a text this long can pass the cap;
        # and only one with enough indicators (a cheap bound, see `_most_values`).
        if len(text) > MAX_NODES and _most_values(text) > MAX_NODES:
            _count_nodes(text, index)
        composed = yaml.compose(text, Loader=_Loader)
        if composed is not None:
            builder = _Builder(errors, index)
            # Without an anchor there is no alias to expand: skip the size pass.
            size = builder.expanded_size(composed) if "&" in text else 0
            if size > MAX_EXPANDED_NODES:
                raise _Limit(
                    "TL905",
                    f"aliases expand to {size:,} nodes (limit {MAX_EXPANDED_NODES:,}): "
                    "an alias bomb?",
                    _range(index, composed),
                )
            root = builder.build(composed)
    except yaml.MarkedYAMLError as exc:
        # The problem mark is where the text goes wrong; the context mark is only where the
        # construct it broke began (often lines earlier).
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if "maximum nesting depth" in str(exc):
            errors.append(ParseError("TL905", "nesting too deep", _mark_range(index, mark)))
        else:
            errors.append(
                ParseError("TL900", f"YAML syntax error: {problem}", _mark_range(index, mark))
            )
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, at its offset
        at = index.position(exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character[:1] or " ")
        errors.append(
            ParseError(
                "TL900",
                f"YAML error: character U+{char:04X} is not allowed in YAML",
                Range(at, Position(at.line, at.column + 1)),
            )
        )
    except yaml.YAMLError as exc:  # e.g. multiple documents
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        message = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        errors.append(ParseError("TL900", f"YAML error: {message}", _mark_range(index, mark)))
    except _Limit as exc:
        errors.append(ParseError(exc.code, exc.message, exc.range))
    except RecursionError:
        errors.append(ParseError("TL905", "nesting too deep", Range.of(0, 0, 0, 1)))
    doc = Document(text, filename, kind, root, errors)
    doc._index = index
    doc.suppressions = _suppressions(index)
    return doc
