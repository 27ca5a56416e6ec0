"""Where each canonical Plan path (and each dialect key) was written: key and value ranges,
possibly in another file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from tunelint.config.plan_edits import DialectKey, PlanPath, Target
from tunelint.config.positions import DOCUMENT_START, Range


class SourceLocation(NamedTuple):
    """A key's and its value's ranges. A tuple, immutable like a frozen dataclass: one is
    made per key a dialect reads, and a tuple is built in a fraction of the time."""

    key: Range
    value: Range
    file: str | None = None  # None: the document being linted
    dialect_key: str | None = None  # the key as the dialect spells it (for messages, hover)


# A dialect key as the index holds it: (keys, related role). Plain tuples hash in C, where
# DialectKey's dataclass hash is Python code (run for every key of every file indexed).
KeyIndex = dict[tuple[tuple[str, ...], str | None], SourceLocation]


@dataclass(slots=True)
class SourceMap:
    # Plan paths only; keys the Plan has no field for are in the dialect-key index.
    locations: dict[PlanPath, SourceLocation] = field(default_factory=dict)
    _dialect_keys: KeyIndex = field(default_factory=dict, repr=False)
    # Indexers of whole documents' keys, run on the first look-up of a dialect key: half
    # of the files linted never look one up (their findings are all on Plan fields).
    _pending: list[Callable[[KeyIndex], None]] = field(
        default_factory=list, repr=False, compare=False
    )

    def _index(self) -> KeyIndex:
        """Every dialect key's location (the documents indexed later are indexed now)."""
        if self._pending:
            built = dict(self._dialect_keys)  # filled aside: a reader on another thread
            for index in self._pending:  # sees the old or the whole index, never a part
                index(built)
            self._dialect_keys = built
            self._pending = []
        return self._dialect_keys

    @property
    def dialect_keys(self) -> dict[DialectKey, SourceLocation]:
        """Every dialect key's location, by DialectKey (look-ups go through `get`)."""
        return {DialectKey(keys, role): loc for (keys, role), loc in self._index().items()}

    def index_later(self, index: Callable[[KeyIndex], None]) -> None:
        """Add a document's dialect keys (`index` writes them into the dict it is given, by
        (keys, role)) when one is first looked up; in order with `add`, so a later write
        still wins."""
        self._pending.append(index)

    def add(self, path: Target, location: SourceLocation) -> None:
        if isinstance(path, DialectKey):
            self._index()[(path.keys, path.related_role)] = location
        else:
            self.locations[path] = location

    def get(self, path: Target) -> SourceLocation | None:
        if not isinstance(path, DialectKey):
            return self.locations.get(path)
        found = self._index().get((path.keys, path.related_role))
        if found is not None and path.key_itself:  # the key is both what is shown and edited
            return SourceLocation(found.key, found.key, found.file, found.dialect_key)
        return found

    def nearest(self, path: Target) -> tuple[Target, SourceLocation] | None:
        """The location of `path`, else of its closest mapped ancestor."""
        if isinstance(path, DialectKey):
            exact = self.get(path)
            if exact is not None:
                return path, exact
            for depth in range(len(path.keys) - 1, 0, -1):
                loc = self._index().get((path.keys[:depth], path.related_role))
                if loc is not None:
                    return DialectKey(path.keys[:depth], path.related_role), loc
            return None
        for depth in range(len(path), 0, -1):
            loc = self.locations.get(path[:depth])
            if loc is not None:
                return path[:depth], loc
        return None

    def range_for(self, path: Target) -> tuple[Range, str | None]:
        """Where a finding about `path` is shown: its value, else an ancestor's key."""
        exact = self.get(path)
        if exact is not None:
            return exact.value, exact.file
        near = self.nearest(path)
        if near is not None:
            return near[1].key, near[1].file
        return DOCUMENT_START, None
