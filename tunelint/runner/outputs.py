"""The output directory: never clobbered by accident, complete at the end.

Layout after a run:

    <output.dir>/
      adapter_model.safetensors, adapter_config.json   (PEFT)  or  model.safetensors (full)
      adapters/<task>/...                              (multi-task: one adapter per task)
      tokenizer files, chat_template.jinja
      tunelint_config.yaml     the resolved Plan (every default filled in)
      run_info.json            method, precision, device, trainer settings, library versions
      metrics.json             final metrics and the whole log history
      loss_curve.png           training (and eval) loss per step
      checkpoint-<step>/       the last few checkpoints (`--resume` continues from the newest)
      runs/                    TensorBoard event files when output.report_to has tensorboard
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import OutputDirError

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

RESOLVED_CONFIG = "tunelint_config.yaml"
RUN_INFO = "run_info.json"
METRICS = "metrics.json"
LOSS_CURVE = "loss_curve.png"
CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d+)$")


def resolve_output_dir(plan: Plan, base_dir: Path) -> Path:
    """`output.dir`, relative to the config file's folder when not absolute."""
    path = Path(plan.output.dir).expanduser()
    return path if path.is_absolute() else (base_dir / path)


def checkpoints(output_dir: Path) -> list[Path]:
    """Checkpoint folders, oldest first."""
    if not output_dir.is_dir():
        return []
    found = []
    for child in output_dir.iterdir():
        match = CHECKPOINT_PATTERN.match(child.name)
        if match and child.is_dir():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def last_checkpoint(output_dir: Path) -> Path | None:
    """The newest checkpoint, or None."""
    found = checkpoints(output_dir)
    return found[-1] if found else None


def _has_task_progress(output_dir: Path) -> bool:
    """Whether a multi-task run left adapters or checkpoints under adapters/<task>/."""
    tasks = output_dir / "adapters"
    if not tasks.is_dir():
        return False
    return any(
        last_checkpoint(task) is not None or (task / "adapter_config.json").is_file()
        for task in tasks.iterdir()
        if task.is_dir()
    )


def prepare_output_dir(output_dir: Path, *, overwrite: bool, resume: bool) -> Path | None:
    """Make sure the run loses nothing; return the checkpoint to resume from, if any.

    - a missing or empty folder: fine;
    - `resume`: the folder must hold a checkpoint, and training continues from the newest;
    - a non-empty folder without `overwrite`: refused;
    - `overwrite`: the old checkpoints are removed (so nothing resumes from a stale run)
      and the other files are replaced as the new run writes them.
    """
    if resume:
        checkpoint = last_checkpoint(output_dir)
        if checkpoint is None and _has_task_progress(output_dir):
            return None  # multi-task: each task resumes from its own folder
        if checkpoint is None:
            raise OutputDirError(
                f"--resume: no checkpoint-<step> folder in {output_dir} to resume from"
            )
        return checkpoint
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputDirError(f"output.dir {output_dir} exists and is not a folder")
    if output_dir.is_dir() and any(output_dir.iterdir()):
        if not overwrite:
            raise OutputDirError(
                f"output.dir {output_dir} already holds files from an earlier run; nothing "
                "was changed. Pass --overwrite to replace them, --resume to continue from its "
                "last checkpoint, or set another output.dir"
            )
        stale = checkpoints(output_dir)
        if (output_dir / "adapters").is_dir():
            stale.append(output_dir / "adapters")  # multi-task adapters and their checkpoints
        for path in stale:
            shutil.rmtree(path)
    output_dir.mkdir(parents=True, exist_ok=True)
    return None


def save_resolved_config(plan: Plan, output_dir: Path) -> Path:
    """Write the Plan with every default filled in, as YAML."""
    import yaml

    data = plan.model_dump(mode="json", by_alias=True, exclude={"schema_"})
    path = output_dir / RESOLVED_CONFIG
    text = "# Resolved by tunelint run: the Plan that trained this output, defaults included.\n"
    path.write_text(text + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_json(path: Path, data: Any) -> Path:
    """Write JSON readably (values that JSON lacks become strings)."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def plot_loss_curve(log_history: list[dict[str, Any]], path: Path, title: str) -> Path | None:
    """A PNG of training (and eval) loss per step; None when nothing was logged."""
    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    if not train and not evals:
        return None
    import matplotlib

    matplotlib.use("Agg")  # files only; never open a window or need a display
    from matplotlib import pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4), dpi=100)
    if train:
        axis.plot(
            *zip(*train, strict=True), label="train loss", marker="." if len(train) < 50 else None
        )
    if evals:
        axis.plot(*zip(*evals, strict=True), label="eval loss", marker="o")
    axis.set_xlabel("optimizer step")
    axis.set_ylabel("loss")
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    return path
