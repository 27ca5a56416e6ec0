"""What rules may know besides the Plan: the GPU, the project settings, the dialect, the
memory report. Plain data, filled in by the pipeline (tunelint.lint)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tunelint.config.dialects.facts import DialectFacts
from tunelint.config.positions import Range
from tunelint.config.settings import Settings
from tunelint.knowledge.gpus import GpuSpec

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.knowledge.memory_plan import MemoryReport

_UNSET = object()


class StringValue(NamedTuple):
    """A string written in the file that may be a secret (key path as written): a tuple
    (made faster than a frozen dataclass)."""

    key_path: tuple[str, ...]
    value: str
    range: Range


@dataclass
class Context:
    plan: Plan
    gpu: GpuSpec | None = None
    gpu_count: int = 1
    gpu_source: str = "none"  # config | --gpu | settings | detected | none
    # The GPU count was stated (config, --gpu-count, settings); else 1 is an assumption.
    gpu_count_stated: bool = False
    settings: Settings = field(default_factory=Settings)
    dialect: str = "native"
    format: str = "yaml"  # the file's format: "yaml" | "json"
    file: Path | None = None
    facts: DialectFacts = field(default_factory=DialectFacts)
    # The string values TL602 judges: those `secret_kind` does not rule out by the text or
    # their key name alone (tunelint.lint._secret_candidates).
    secret_candidates: list[StringValue] = field(default_factory=list)
    # Computes the memory report (tunelint.knowledge.memory_report) when first read: only
    # the memory rules, hover and `tunelint run` need it.
    memory: Callable[[], MemoryReport | None] | None = field(default=None, repr=False)
    _estimate: Any = field(default=_UNSET, repr=False)

    @property
    def estimate(self) -> MemoryReport | None:
        """The memory report, computed once: a MemoryReport with either `.estimate` or the
        `.reason` it was skipped; None for a fragment or when nothing supplies one."""
        if self._estimate is _UNSET:
            self._estimate = self.memory() if self.memory is not None else None
        return self._estimate
