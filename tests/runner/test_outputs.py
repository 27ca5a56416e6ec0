"""The output folder loses nothing: overwrite protection, resume, dry runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from runner_support import DATA, config, losses, train
from transformers import TrainerCallback

from tunelint.runner.errors import ModelLoadError, OutputDirError


class Interrupt(TrainerCallback):  # type: ignore[misc]
    """Kill the run after a given step, as a crash or Ctrl-C would."""

    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.global_step == self.at_step:
            raise KeyboardInterrupt(f"simulated kill at step {self.at_step}")


def test_non_empty_output_dir_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("results of last week", encoding="utf-8")
    with pytest.raises(OutputDirError, match="--overwrite"):
        train(tmp_path, config(tmp_path))
    assert sorted(p.name for p in out.iterdir()) == ["precious.txt"]
    assert (out / "precious.txt").read_text(encoding="utf-8") == "results of last week"


def test_overwrite_replaces_a_previous_run(tmp_path: Path) -> None:
    cfg = config(tmp_path, training={"max_steps": 2, "save_steps": 1})
    first = train(tmp_path, cfg)
    assert (first.output_dir / "checkpoint-2").is_dir()
    with pytest.raises(OutputDirError):
        train(tmp_path, cfg)
    # A run that cannot start (model not available) deletes nothing, even with --overwrite.
    missing = {**cfg, "model": {**cfg["model"], "name": "tunelint-tests/not-cached"}}
    with pytest.raises(ModelLoadError):
        train(tmp_path, missing, overwrite=True)
    assert (first.output_dir / "checkpoint-2").is_dir()
    cfg["training"]["max_steps"] = 1
    second = train(tmp_path, cfg, overwrite=True)
    # Old checkpoints are gone (nothing can resume from the stale run); new results written.
    assert sorted(p.name for p in second.output_dir.glob("checkpoint-*")) == ["checkpoint-1"]
    metrics = json.loads((second.output_dir / "metrics.json").read_text())
    assert metrics["log_history"][-1]["step"] == 1


def test_resume_continues_from_the_last_checkpoint(tmp_path: Path) -> None:
    cfg = config(tmp_path, training={"max_steps": 6, "save_steps": 2})
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, cfg, callbacks=[Interrupt(at_step=3)])
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2"]
    assert not (out / "adapter_model.safetensors").exists()  # the run never finished

    resumed = train(tmp_path, cfg, resume=True)
    assert any("resuming from" in m and "checkpoint-2" in m for m in resumed.resolved["messages"])
    steps = [e["step"] for e in resumed.log_history if "loss" in e]
    # The log history is restored from the checkpoint (steps 1-2) and training goes on at 3.
    assert steps == [1, 2, 3, 4, 5, 6]
    assert resumed.trainer.state.global_step == 6
    assert (out / "adapter_model.safetensors").is_file()
    assert len(losses(resumed)) == 6


def test_resume_without_a_checkpoint_is_refused(tmp_path: Path) -> None:
    with pytest.raises(OutputDirError, match="no checkpoint"):
        train(tmp_path, config(tmp_path), resume=True)


def test_dry_run_builds_everything_and_writes_nothing(tmp_path: Path) -> None:
    preference = {"train": str(DATA / "preference.jsonl"), "format": "preference"}
    cfg = config(tmp_path, method={"kind": "dpo"}, data=preference)
    result = train(tmp_path, cfg, dry_run=True)
    assert result.dry_run
    assert type(result.trainer).__name__ == "DPOTrainer"
    assert result.trainer.state.global_step == 0
    assert result.resolved["data"]["train_records"] == 48
    assert not (tmp_path / "out").exists()


def test_max_steps_option_overrides_the_plan(tmp_path: Path) -> None:
    result = train(tmp_path, config(tmp_path, training={"max_steps": 50}), max_steps=2)
    assert result.trainer.state.global_step == 2
