"""Where each canonical Plan path was written: key and value ranges, possibly in another file."""

from __future__ import annotations

from dataclasses import dataclass, field

from tunelint.checks.finding import PlanPath
from tunelint.config.positions import DOCUMENT_START, Range


@dataclass(frozen=True, slots=True)
class SourceLocation:
    key: Range
    value: Range
    file: str | None = None  # None: the document being linted
    dialect_key: str | None = None  # the key as the dialect spells it (for messages, hover)


@dataclass(slots=True)
class SourceMap:
    locations: dict[PlanPath, SourceLocation] = field(default_factory=dict)

    def add(self, path: PlanPath, location: SourceLocation) -> None:
        self.locations[path] = location

    def get(self, path: PlanPath) -> SourceLocation | None:
        return self.locations.get(path)

    def nearest(self, path: PlanPath) -> tuple[PlanPath, SourceLocation] | None:
        """The location of `path`, else of its closest mapped ancestor."""
        for depth in range(len(path), 0, -1):
            loc = self.locations.get(path[:depth])
            if loc is not None:
                return path[:depth], loc
        return None

    def range_for(self, path: PlanPath) -> tuple[Range, str | None]:
        """Where a finding about `path` is shown: its value, else an ancestor's key."""
        exact = self.locations.get(path)
        if exact is not None:
            return exact.value, exact.file
        near = self.nearest(path)
        if near is not None:
            return near[1].key, near[1].file
        return DOCUMENT_START, None
