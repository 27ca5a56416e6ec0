"""What rules may know besides the Plan: the GPU, the project settings, the dialect."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tunelint.config.plan import Plan
from tunelint.config.positions import Range
from tunelint.config.settings import Settings
from tunelint.knowledge.gpus import GpuSpec

_UNSET = object()


@dataclass(frozen=True, slots=True)
class StringValue:
    """A string written anywhere in the file (key path as written), for secret scanning."""

    key_path: tuple[str, ...]
    value: str
    range: Range


@dataclass
class Context:
    plan: Plan
    gpu: GpuSpec | None = None
    gpu_count: int = 1
    gpu_source: str = "none"  # config | --gpu | settings | detected | none
    settings: Settings = field(default_factory=Settings)
    dialect: str = "native"
    file: Path | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    strings: list[StringValue] = field(default_factory=list)
    _estimate: Any = field(default=_UNSET, repr=False)

    @property
    def estimate(self) -> Any:
        """The memory report (tunelint.checks.rules.memory.estimate_for_context), computed once:
        a MemoryReport with either `.estimate` or a `.reason` it was skipped; None when the
        estimator is absent."""
        if self._estimate is _UNSET:
            try:
                from tunelint.checks.rules.memory import estimate_for_context
            except ImportError:
                self._estimate = None
            else:
                self._estimate = estimate_for_context(self)
        return self._estimate
