"""Config formats tunelint reads. Each dialect module maps its keys onto the Plan.

The formats, their order and what makes each a candidate for detection are data
(registry.toml). A dialect module is imported only when it is needed: detection asks the
candidates alone (checking an axolotl file never imports the torchtune reader), and
`get_dialect` imports the one named. `DIALECTS` (every dialect) imports them all."""

from __future__ import annotations

import importlib
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tunelint.config.dialects.base import Dialect, MappedConfig

# Below this confidence a file is not treated as a config at all (never linted).
MIN_CONFIDENCE = 0.5
_REGISTRY = Path(__file__).with_name("registry.toml")


@dataclass(frozen=True, slots=True)
class DialectEntry:
    """One format of registry.toml: where its reader lives, and when detection asks it."""

    name: str
    module: str
    cls: str
    keys: frozenset[str] = frozenset()
    text: tuple[str, ...] = ()
    always: bool = False

    def candidate(self, keys: Collection[str], text: str) -> bool:
        return self.always or not self.keys.isdisjoint(keys) or any(t in text for t in self.text)


@cache
def entries() -> tuple[DialectEntry, ...]:
    """The formats in tie-break order (more specific first)."""
    from tunelint.knowledge.data_files import load_file

    return tuple(
        DialectEntry(
            name=row["name"],
            module=row["module"],
            cls=row["class"],
            keys=frozenset(row.get("keys", ())),
            text=tuple(row.get("text", ())),
            always=row.get("always", False),
        )
        for row in load_file(_REGISTRY)["dialect"]
    )


_INSTANCES: dict[str, Dialect] = {}  # by name: a str hashes in C, the entry in Python


def _instance(entry: DialectEntry) -> Dialect:
    dialect = _INSTANCES.get(entry.name)
    if dialect is None:
        module = importlib.import_module(f"{__name__}.{entry.module}")
        dialect = _INSTANCES[entry.name] = getattr(module, entry.cls)()
    return dialect


def get_dialect(name: str) -> Dialect | None:
    entry = next((e for e in entries() if e.name == name), None)
    return _instance(entry) if entry is not None else None


def candidates(keys: Collection[str], text: str) -> list[Dialect]:
    """The dialects that can score above 0 for a document with these top-level keys."""
    return [_instance(e) for e in entries() if e.candidate(keys, text)]


def all_dialects() -> list[Dialect]:
    """Every dialect, in order (imports every dialect module)."""
    return [_instance(e) for e in entries()]


def __getattr__(name: str) -> list[Dialect]:
    if name == "DIALECTS":
        return all_dialects()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DIALECTS",
    "MIN_CONFIDENCE",
    "Dialect",
    "DialectEntry",
    "MappedConfig",
    "all_dialects",
    "candidates",
    "get_dialect",
]
