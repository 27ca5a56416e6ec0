"""What each output format can express (data/formats.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

_DATA = Path(__file__).parent / "data" / "formats.toml"


@dataclass(frozen=True, slots=True)
class FormatCaps:
    name: str
    label: str
    peft: tuple[str, ...]
    suffix: str


@cache
def format_caps(name: str) -> FormatCaps:
    table = tomllib.loads(_DATA.read_text(encoding="utf-8"))[name]
    return FormatCaps(name, table["label"], tuple(table["peft"]), table["suffix"])
