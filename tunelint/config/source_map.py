"""Where each canonical Plan path (and each dialect key) was written: key and value ranges,
possibly in another file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tunelint.config.plan_edits import DialectKey, PlanPath, Target
from tunelint.config.positions import DOCUMENT_START, Range


@dataclass(frozen=True, slots=True)
class SourceLocation:
    key: Range
    value: Range
    file: str | None = None  # None: the document being linted
    dialect_key: str | None = None  # the key as the dialect spells it (for messages, hover)


@dataclass(slots=True)
class SourceMap:
    # Plan paths only; keys the Plan has no field for are under `dialect_keys`.
    locations: dict[PlanPath, SourceLocation] = field(default_factory=dict)
    _dialect_keys: dict[DialectKey, SourceLocation] = field(default_factory=dict, repr=False)
    # Indexers of whole documents' keys, run on the first look-up of a dialect key: half
    # of the files linted never look one up (their findings are all on Plan fields).
    _pending: list[Callable[[dict[DialectKey, SourceLocation]], None]] = field(
        default_factory=list, repr=False, compare=False
    )

    @property
    def dialect_keys(self) -> dict[DialectKey, SourceLocation]:
        """Every dialect key's location (the documents indexed later are indexed now)."""
        if self._pending:
            built = dict(self._dialect_keys)  # filled aside: a reader on another thread
            for index in self._pending:  # sees the old or the whole index, never a part
                index(built)
            self._dialect_keys = built
            self._pending = []
        return self._dialect_keys

    def index_later(self, index: Callable[[dict[DialectKey, SourceLocation]], None]) -> None:
        """Add a document's dialect keys (`index` writes them into the dict it is given)
        when one is first looked up; in order with `add`, so a later write still wins."""
        self._pending.append(index)

    def add(self, path: Target, location: SourceLocation) -> None:
        if isinstance(path, DialectKey):
            self.dialect_keys[path.entry] = location
        else:
            self.locations[path] = location

    def get(self, path: Target) -> SourceLocation | None:
        if not isinstance(path, DialectKey):
            return self.locations.get(path)
        found = self.dialect_keys.get(path.entry)
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
                parent = DialectKey(path.keys[:depth], path.related_role)
                loc = self.dialect_keys.get(parent)
                if loc is not None:
                    return parent, loc
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
