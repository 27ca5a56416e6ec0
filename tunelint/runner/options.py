"""Options of one `tunelint run`, separate from the Plan (they change how, not what)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunOptions:
    """Command-line choices for a run."""

    overwrite: bool = False
    resume: bool = False
    dry_run: bool = False
    max_steps: int | None = None
    num_processes: int | None = None
    reward_funcs: tuple[str, ...] = field(default_factory=tuple)
    accelerate_config: str | None = None
    # Set inside an `accelerate launch` worker: the parent already checked the output dir.
    launched: bool = False
    resume_from: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for the launch spec handed to workers)."""
        data = asdict(self)
        data["reward_funcs"] = list(self.reward_funcs)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunOptions:
        """Inverse of `to_json`."""
        data = dict(data)
        data["reward_funcs"] = tuple(data.get("reward_funcs", ()))
        return cls(**data)
