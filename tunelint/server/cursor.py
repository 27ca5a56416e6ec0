"""Where the cursor is in a config: the key path under it, and what may be typed there.

Hover reads the parsed tree (exact ranges). Completion reads the lines around the cursor,
because a document being typed is usually not valid YAML at that moment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tunelint.config.document import Entry, Mapping, Node, Scalar, Sequence
from tunelint.config.positions import Position, Range


@dataclass(frozen=True, slots=True)
class TreeHit:
    """The key path at a position; `on_key` when the position is on the key itself."""

    path: tuple[str, ...]
    on_key: bool
    entry: Entry | None


def _inside(rng: Range, pos: Position, inclusive_end: bool) -> bool:
    if inclusive_end:
        return rng.start <= pos <= rng.end
    return rng.start <= pos < rng.end


def tree_path_at(root: Node | None, pos: Position) -> TreeHit | None:
    """The mapping path under `pos` in a parsed document: on a key, or on a scalar value
    (a list item counts for its list's key); None elsewhere."""
    path: list[str] = []
    node = root
    entry: Entry | None = None
    while node is not None:
        if isinstance(node, Mapping):
            for candidate in node.entries:
                if _inside(candidate.key.range, pos, inclusive_end=True):
                    return TreeHit((*path, str(candidate.key.value)), True, candidate)
            inner = None
            for candidate in node.entries:
                value = candidate.value
                # A block container's end mark sits on the next key: half-open ranges there.
                if _inside(value.range, pos, inclusive_end=isinstance(value, Scalar)):
                    inner = candidate
                    break
            if inner is None:
                return None  # between keys (blank lines, comments): nothing to explain
            entry = inner
            path.append(str(inner.key.value))
            node = inner.value
        elif isinstance(node, Sequence):
            node = next(
                (
                    item
                    for item in node.items
                    if _inside(item.range, pos, inclusive_end=isinstance(item, Scalar))
                ),
                None,
            )
            if node is None:
                return None
        else:
            return TreeHit(tuple(path), False, entry) if entry is not None else None
    return None


_ITEM = re.compile(r"^(\s*)(-[ \t]+)?")
_KEY = re.compile(r"""^("[^"]*"|'[^']*'|[^\s#'"\-][^:#]*?|-[^\s:#][^:#]*?)[ \t]*:(?=[ \t]|$)""")
_BLOCK_PARENT = re.compile(r"""^("[^"]*"|'[^']*'|[^\s#'"][^:#]*?)[ \t]*:[ \t]*(#.*)?$""")


@dataclass(frozen=True, slots=True)
class LineContext:
    """What the cursor is on, read from the lines around it (tolerates broken YAML).

    `path` is the mapping the cursor's key belongs to; `key` is the key whose value is being
    typed (with `in_value`); `start` is where the typed word begins (what a completion
    replaces); `siblings` are the keys already present in the same mapping.
    """

    path: tuple[str, ...]
    in_value: bool
    key: str | None
    start: Position
    prefix: str
    siblings: frozenset[str]
    in_sequence: bool = False


def _unquote(key: str) -> str:
    if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
        return key[1:-1]
    return key


def _split(line: str) -> tuple[int, int, str]:
    """(indent of the line, indent of its key after any "- ", the rest after it)."""
    m = _ITEM.match(line)
    assert m is not None  # the pattern matches every string
    return len(m.group(1)), m.end(), line[m.end() :]


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def line_context(text: str, pos: Position) -> LineContext | None:
    """The completion context at `pos` in YAML text; None inside flow or JSON syntax."""
    lines = text.split("\n")
    if pos.line >= len(lines):
        return None
    line = lines[pos.line].rstrip("\r")
    column = min(pos.column, len(line))
    before = line[:column]
    if "{" in before or "[" in before or before.lstrip().startswith("#"):
        return None
    _, key_indent, rest = _split(line)
    in_sequence = key_indent > len(line) - len(line.lstrip(" \t")) or (
        line.strip() == "-" and column > line.index("-")
    )
    if not before.strip():
        # A blank (or not yet typed) line: the cursor column is the indentation.
        key_indent = column
        rest = ""
    key_match = _KEY.match(rest)
    key: str | None = None
    in_value = False
    if key_match is not None and column > key_indent + key_match.end() - 1:
        key = _unquote(key_match.group(1).strip())
        in_value = True
        value_start = key_indent + key_match.end()
        while value_start < column and line[value_start] in " \t":
            value_start += 1
        start = Position(pos.line, value_start)
    else:
        start = Position(pos.line, min(key_indent, column))
    parents = _parents(lines, pos.line, key_indent)
    if in_sequence and key is None:
        # `- value` under `key:`: the cursor types a value of that key.
        if not parents:
            return None
        return LineContext(
            path=parents[:-1],
            in_value=True,
            key=parents[-1],
            start=start,
            prefix=line[start.column : column],
            siblings=frozenset(),
            in_sequence=True,
        )
    return LineContext(
        path=parents,
        in_value=in_value,
        key=key,
        start=start,
        prefix=line[start.column : column],
        siblings=_siblings(lines, pos.line, key_indent),
        in_sequence=in_sequence,
    )


def _parents(lines: list[str], line_number: int, indent: int) -> tuple[str, ...]:
    """Keys of the enclosing block mappings, outermost first."""
    parents: list[str] = []
    bound = indent
    for number in range(line_number - 1, -1, -1):
        if bound == 0:
            break
        line = lines[number].rstrip("\r")
        if not _is_content(line):
            continue
        _, key_indent, rest = _split(line)
        if key_indent >= bound:
            continue
        parent = _BLOCK_PARENT.match(rest)
        if parent is None:
            break  # not a `key:` opening a block: the structure above is not a mapping path
        parents.append(_unquote(parent.group(1).strip()))
        bound = key_indent
    parents.reverse()
    return tuple(parents)


def _siblings(lines: list[str], line_number: int, indent: int) -> frozenset[str]:
    """Keys already present at `indent` in the block around `line_number`."""
    found: set[str] = set()
    for step in (-1, 1):
        number = line_number + step
        while 0 <= number < len(lines):
            line = lines[number].rstrip("\r")
            number += step
            if not _is_content(line):
                continue
            _, key_indent, rest = _split(line)
            if key_indent < indent:
                break
            if key_indent == indent:
                match = _KEY.match(rest)
                if match is not None:
                    found.add(_unquote(match.group(1).strip()))
    return frozenset(found)
