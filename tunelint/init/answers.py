"""What `tunelint init` asks (the article's questions), with the stated defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from tunelint.config.plan import DataFormat, Goal, Priority

FORMATS = ("native", "axolotl", "llamafactory", "trl")
GOALS: tuple[str, ...] = get_args(Goal)
PRIORITIES: tuple[str, ...] = get_args(Priority)
DATA_FORMATS: tuple[str, ...] = get_args(DataFormat)
DEFAULT_DATA = "data/train.jsonl"
DEFAULT_DAYS = 30.0


class InitError(ValueError):
    """An answer that cannot be used (unknown model or GPU, bad number); the message says why."""


@dataclass(frozen=True)
class InitAnswers:
    """The answers, as the flags name them. Only goal, model and gpu have no default."""

    goal: str
    model: str
    gpu: str
    gpu_count: int = 1
    days: float = DEFAULT_DAYS
    tasks: int = 1
    priority: str = "quality"
    data: str = DEFAULT_DATA
    data_format: str | None = None  # None: the format the chosen method needs
    format: str = "native"

    def validate(self) -> None:
        """Raise InitError naming the first answer that cannot be used."""
        if self.goal not in GOALS:
            raise InitError(f"--goal must be one of {', '.join(GOALS)} (got {self.goal!r})")
        if self.priority not in PRIORITIES:
            raise InitError(
                f"--priority must be one of {', '.join(PRIORITIES)} (got {self.priority!r})"
            )
        if self.format not in FORMATS:
            raise InitError(f"--format must be one of {', '.join(FORMATS)} (got {self.format!r})")
        if self.data_format is not None and self.data_format not in DATA_FORMATS:
            raise InitError(
                f"--data-format must be one of {', '.join(DATA_FORMATS)} (got {self.data_format!r})"
            )
        if self.gpu_count < 1:
            raise InitError("--gpu-count must be at least 1")
        if self.tasks < 1:
            raise InitError("--tasks must be at least 1")
        if not self.days > 0:
            raise InitError("--days must be more than 0")
        if not self.model.strip():
            raise InitError("--model is empty")
        if not self.data.strip():
            raise InitError("--data is empty")
