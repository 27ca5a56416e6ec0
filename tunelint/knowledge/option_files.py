"""The framework option tables' data files (data/options/<framework>.json): where they are
and their parsed content, without the table model of tunelint.knowledge.options. A native
config's trainer version needs only a table's list of releases; this module gives it
without building the table."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from tunelint.knowledge.data_files import load_file

DATA_DIR = Path(__file__).parent / "data" / "options"


def frameworks() -> tuple[str, ...]:
    """The frameworks that have a table."""
    return tuple(sorted(p.stem for p in DATA_DIR.glob("*.json")))


def raw_table(framework: str) -> dict[str, Any]:
    """The parsed data file of `framework`'s table (kept in marshal form between runs).
    Callers must not mutate it."""
    path = DATA_DIR / f"{framework}.json"
    if not path.is_file():
        raise KeyError(f"no option table for {framework!r} (known: {', '.join(frameworks())})")
    return load_file(path)


@cache
def known_versions(framework: str) -> tuple[str, ...]:
    """The releases `framework`'s table covers, oldest first."""
    return tuple(raw_table(framework)["versions"])
