"""What values a Python type annotation, as the option tables store it, accepts: the JSON
kinds of a YAML/JSON value (int, float, bool, str, list, dict, null), read from the text of
`int | None`, `Optional[Union[int, str]]`, `(list[str] | str) | None`, `Literal["a", 1]`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_KINDS = {
    "int": {"int"},
    "float": {"float", "int"},
    "bool": {"bool"},
    "str": {"str"},
    "Path": {"str"},
    "list": {"list"},
    "List": {"list"},
    "tuple": {"list"},
    "Tuple": {"list"},
    "Sequence": {"list"},
    "set": {"list"},
    "dict": {"dict"},
    "Dict": {"dict"},
    "Mapping": {"dict"},
    "None": {"null"},
    "NoneType": {"null"},
}


def alternatives(text: str) -> list[str]:
    """The alternatives of a type: `A | B[C, D]`, `(A | B) | None` and `Union[A, B]`."""
    return list(_alternatives(text))


@lru_cache(maxsize=4096)  # a table has a few hundred type texts; every value check reads one
def _alternatives(text: str) -> tuple[str, ...]:
    return tuple(_parse_alternatives(text))


def _parse_alternatives(text: str) -> list[str]:
    text = text.strip()
    while _wrapped(text):
        text = text[1:-1].strip()
    for wrapper in ("Optional[", "Union["):
        if text.startswith(wrapper) and text.endswith("]"):
            inner = split_top(text[len(wrapper) : -1], ",")
            return [a for part in inner for a in alternatives(part)] + (
                ["None"] if wrapper == "Optional[" else []
            )
    parts = split_top(text, "|")
    if len(parts) <= 1:
        return [text]
    return [a for part in parts for a in alternatives(part)]


def _wrapped(text: str) -> bool:
    """`(A | B)`: one pair of parentheses around all of it (not `(A) | (B)`)."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "[("
        depth -= ch in "])"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def split_top(text: str, separator: str) -> list[str]:
    """`text` split at `separator`s outside brackets and parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "[("
        depth -= ch in "])"
        if ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


@lru_cache(maxsize=4096)  # a table has a few hundred type texts; every value check reads one
def accepted_kinds(type_text: str) -> frozenset[str] | None:
    """JSON kinds a type annotation accepts (int, float, bool, str, list, dict, null), or None
    when it accepts anything or names a class this table cannot see into."""
    kinds: set[str] = set()
    for alternative in alternatives(type_text):
        head = re.sub(r"^(typing|t)\.", "", alternative.split("[", 1)[0].strip())
        if head == "Literal":
            values = alternative[alternative.index("[") + 1 : -1]
            for value in split_top(values, ","):
                kinds |= {"null"} if value == "None" else _literal_kind(value)
            continue
        if head not in _KINDS:
            return None  # Any, an Enum, a nested model, a torch dtype...
        kinds |= _KINDS[head]
    return frozenset(kinds) or None


def _literal_kind(text: str) -> set[str]:
    if text[:1] in "'\"":
        return {"str"}
    if text in ("True", "False"):
        return {"bool"}
    return {"float", "int"} if "." in text else {"int"}


def value_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    return "list" if isinstance(value, (list, tuple)) else "dict"


def pydantic_coerces(value: Any, kinds: frozenset[str]) -> bool:
    """pydantic's lax mode: numeric strings to numbers, 0/1 and yes/no strings to bools."""
    if isinstance(value, str):
        text = value.strip().lower()
        if "bool" in kinds and text in {"true", "false", "yes", "no", "on", "off", "1", "0"}:
            return True
        try:
            number = float(text)
        except ValueError:
            return False
        return "float" in kinds or ("int" in kinds and number.is_integer())
    if isinstance(value, bool):
        return "int" in kinds or "float" in kinds
    if isinstance(value, (int, float)) and "bool" in kinds:
        return value in (0, 1)
    return isinstance(value, float) and "int" in kinds and value.is_integer()
