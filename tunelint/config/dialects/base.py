"""What a dialect (a config format) provides: detection, mapping to the Plan, rendering edits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tunelint.config.dialects.facts import DialectFacts
from tunelint.config.document import Document
from tunelint.config.plan_edits import PlanEdit
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan


@dataclass(slots=True)
class MappedConfig:
    """A dialect's reading of a document: Plan-shaped data plus where each fact came from."""

    data: dict[str, Any]
    source_map: SourceMap = field(default_factory=SourceMap)
    # Facts the dialect holds that the Plan has no field for.
    facts: DialectFacts = field(default_factory=DialectFacts)
    # Other files read with this one (e.g. a DeepSpeed JSON): path -> Document.
    related: dict[str, Document] = field(default_factory=dict)


class Dialect(Protocol):
    name: str  # "native", "axolotl", ...
    label: str  # human name

    def detect(self, doc: Document) -> float:
        """Confidence in [0, 1] that `doc` is written in this dialect."""
        ...

    def map(self, doc: Document) -> MappedConfig:
        """Read the document into Plan-shaped data with a source map."""
        ...

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        """Minimal text edits in this dialect's own keys for all of a fix's Plan edits at
        once; None if one of them cannot be expressed."""
        ...
