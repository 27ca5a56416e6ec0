"""What a run tells the user and leaves behind: messages, the resolved plan, run info,
metrics and the loss plot.

Only the runner imports this module, after the lint passed: `importlib.metadata` (library
versions for run_info.json) and matplotlib stay off every lint path.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.messages import Say
from tunelint.runner.outputs import LOSS_CURVE, METRICS, RESOLVED_CONFIG, RUN_INFO

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.runner.prepared import PreparedRun

LIBRARIES = ("tunelint", "torch", "transformers", "peft", "trl", "accelerate", "datasets")
PEFT_FIELDS = (
    "r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "use_dora",
    "num_virtual_tokens",
    "feedforward_modules",
    "task_type",
)


def library_versions() -> dict[str, str]:
    """Versions of the ML stack, for run_info.json and bug reports."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def describe_peft(peft_config: Any) -> dict[str, Any] | str:
    """The PEFT config's fields that say what trains, or the full fine-tuning sentence."""
    if peft_config is None:
        return "full fine-tuning (every weight trains)"
    described = {"type": type(peft_config).__name__}
    for key in PEFT_FIELDS:
        value = getattr(peft_config, key, None)
        if value is not None and value is not False:
            described[key] = sorted(value) if isinstance(value, set) else value
    return described


def resolved_plan(
    run: PreparedRun, trainer_name: str, settings: Any, peft_config: Any
) -> dict[str, Any]:
    """Everything the run decided, as the user should read it before a long run."""
    plan, data, precision = run.plan, run.training_data, run.precision
    resolved: dict[str, Any] = {
        "method": plan.method.kind,
        "trainer": trainer_name,
        "model": {"name": plan.model.name, "location": run.source.location},
        "precision": {
            "requested": precision.requested,
            "running": precision.name,
            "device": precision.device,
            "weights_dtype": str(precision.model_dtype(plan.peft.kind)),
        },
        "peft": describe_peft(peft_config),
        "quantization": plan.effective_quantization,
        "data": {
            "train": plan.data.train if plan.data else None,
            "eval": plan.data.eval if plan.data else None,
            "format": data.format,
            "train_records": len(data.train),
            "eval_records": len(data.eval) if data.eval else 0,
        },
        "processes": run.num_processes,
        "output_dir": str(run.output_dir),
        "resume_from": str(run.resume_from) if run.resume_from else None,
        "trainer_args": {k: v for k, v in settings.kwargs.items() if k != "output_dir"},
        "notes": list(precision.notes) + settings.notes,
    }
    if plan.method.kind in ("dpo", "kto"):
        resolved["reference"] = (
            "base model with the adapter disabled"
            if peft_config is not None
            else "frozen copy of the base model"
        )
    if run.tasks:
        resolved["tasks"] = {name: len(ds) for name, ds in (data.train_by_task or {}).items()}
    return resolved


def print_resolved(resolved: dict[str, Any], say: Say) -> None:
    """The resolved plan, printed as JSON."""
    say("resolved plan:")
    print(json.dumps(resolved, indent=2, default=str), flush=True)


def write_json(path: Path, data: Any) -> Path:
    """Write JSON readably (values that JSON lacks become strings)."""
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def save_resolved_config(plan: Plan, output_dir: Path) -> Path:
    """Write the Plan with every default filled in, as YAML."""
    import yaml

    data = plan.model_dump(mode="json", by_alias=True, exclude={"schema_"})
    path = output_dir / RESOLVED_CONFIG
    text = "# Resolved by tunelint run: the Plan that trained this output, defaults included.\n"
    path.write_text(text + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_run_files(
    run: PreparedRun,
    resolved: dict[str, Any],
    metrics: dict[str, Any],
    histories: dict[str, list[dict[str, Any]]],
) -> None:
    """The resolved config, run_info.json, metrics.json and the loss curve."""
    output_dir = run.output_dir
    save_resolved_config(run.plan, output_dir)
    write_json(
        output_dir / RUN_INFO,
        {
            "resolved": resolved,
            "versions": library_versions(),
            "wall_seconds": round(time.perf_counter() - run.started, 2),
        },
    )
    single = list(histories) == ["train"]
    write_json(
        output_dir / METRICS,
        {"metrics": metrics, "log_history": histories["train"] if single else histories},
    )
    curve = _plot(run.plan, output_dir, histories)
    run.say(f"saved to {output_dir}" + (f" (loss curve: {curve.name})" if curve else ""))


def _plot(plan: Plan, output_dir: Path, histories: dict[str, list[dict[str, Any]]]) -> Path | None:
    title = f"{plan.method.kind} + {plan.peft.kind}: {plan.model.name}"
    if list(histories) == ["train"]:
        return plot_loss_curve(histories["train"], output_dir / LOSS_CURVE, title)
    # Multi-task: one curve per task, steps offset so they read left to right.
    merged: list[dict[str, Any]] = []
    offset = 0
    for history in histories.values():
        steps = [e["step"] for e in history if "loss" in e]
        merged += [dict(e, step=e["step"] + offset) for e in history if "loss" in e]
        offset += max(steps, default=0)
    return plot_loss_curve(merged, output_dir / LOSS_CURVE, title)


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


def read_metrics(output_dir: Path) -> dict[str, Any]:
    """metrics.json of a finished run (written by the worker processes), or {}."""
    path = output_dir / METRICS
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
