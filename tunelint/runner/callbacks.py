"""Trainer callbacks of the runner: keep the output manifest ahead of every save."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from tunelint.runner.manifest import RunManifest


class ManifestCallback(TrainerCallback):  # type: ignore[misc]
    """Records each checkpoint in the manifest *before* the Trainer writes it.

    The default flow callback decides `control.should_save` in `on_step_end`; callbacks
    added by the runner run after it and before `_save_checkpoint`, so a save cut short
    (a kill, a full disk) still leaves its folder listed as the run's own.
    """

    def __init__(self, manifest: RunManifest) -> None:
        self.manifest = manifest

    def _top_level(self, trainer_dir: str, name: str) -> str | None:
        # Multi-task trainers write under adapters/<task>/: the run owns `adapters` whole.
        path = Path(trainer_dir).resolve() / name
        try:
            return path.relative_to(self.manifest.output_dir).parts[0]
        except ValueError:  # a trainer folder outside the output folder: nothing to list
            return None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero:
            self.manifest.record()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if control.should_save and state.is_world_process_zero:
            top = self._top_level(args.output_dir, f"checkpoint-{state.global_step}")
            self.manifest.record(*([top] if top else []))
