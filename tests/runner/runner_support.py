"""Helpers shared by the runner tests: small configs and in-process runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tunelint.config.plan import Plan
from tunelint.runner.options import RunOptions
from tunelint.runner.session import RunResult, run_plan

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "examples" / "data"


def config(tmp_path: Path, **sections: Any) -> dict[str, Any]:
    """A small, fast config dict for the tiny model; sections override the defaults."""
    base: dict[str, Any] = {
        "model": {"name": "tunelint/tiny", "max_seq_len": 96},
        "method": {"kind": "sft"},
        "peft": {"kind": "lora", "r": 8, "alpha": 16},
        "precision": "fp32",
        "training": {
            "max_steps": 3,
            "learning_rate": 1e-3,
            "micro_batch_size": 4,
            "logging_steps": 1,
            "gradient_checkpointing": False,
        },
        "data": {"train": str(DATA / "sft_chat.jsonl"), "format": "chat"},
        "output": {"dir": str(tmp_path / "out")},
    }
    for name, value in sections.items():
        if isinstance(value, dict) and isinstance(base.get(name), dict):
            base[name] = {**base[name], **value}
        else:
            base[name] = value
    return base


def train(
    tmp_path: Path, cfg: dict[str, Any], callbacks: list[Any] | None = None, **options: Any
) -> RunResult:
    """Run a config dict in-process; messages go to `result.resolved['messages']`."""
    messages: list[str] = []
    result = run_plan(
        Plan.model_validate(cfg),
        tmp_path,
        RunOptions(**options),
        say=messages.append,
        callbacks=callbacks,
    )
    result.resolved["messages"] = messages
    return result


def write_config(path: Path, cfg: dict[str, Any]) -> Path:
    """Write a config dict as a `.tune.yaml` file."""
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return path


def losses(result: RunResult) -> list[float]:
    """Training losses in step order."""
    return [entry["loss"] for entry in result.log_history if "loss" in entry]
