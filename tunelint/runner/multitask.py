"""Multi-task adapters (`peft.kind: adapters`), built on PEFT.

The source article recommends "adapters" for multi-task work: one small module per task on
a shared frozen base, switched at inference. AdapterHub's `adapters` library would be the
obvious tool, but it pins transformers 4.57 and does not import with transformers 5, so
tunelint builds the same thing from PEFT:

- one LoRA adapter per task, named after the task (`peft.task_names`, default
  `task-1..task-N` from `intent.tasks`), trained on the records whose `task` field names it;
- all tasks share one frozen base model held once in memory: each task's trainer injects its
  adapter into that base, and after training the adapter is saved and `unload()`ed (removed
  without merging), leaving the base untouched for the next task;
- each adapter is saved on its own under `<output>/adapters/<task>/` (with its own
  checkpoints, so `--resume` continues the task that was interrupted and skips finished
  ones), and `multitask.json` lists them;
- at inference, `load_multitask_model(output_dir)` loads the base once and every adapter
  by name; `model.set_adapter("<task>")` switches between them.

Training tasks one after another (rather than one mixed batch stream) keeps every adapter
trained only on its own task's data, and works unchanged for every method (SFT, DPO, ...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tunelint.runner.checkpoints import newest_complete
from tunelint.runner.outputs import ADAPTERS_DIR
from tunelint.runner.reporting import write_json

MULTITASK_INDEX = "multitask.json"


def adapter_dir(output_dir: Path, task: str) -> Path:
    """Folder of one task's adapter (and its checkpoints)."""
    return output_dir / ADAPTERS_DIR / task


def is_finished(output_dir: Path, task: str) -> bool:
    """Whether a task's adapter was already saved (a resumed run skips it)."""
    return (adapter_dir(output_dir, task) / "adapter_config.json").is_file()


def train_tasks(
    tasks: list[str],
    base_model: Any,
    output_dir: Path,
    make_trainer: Callable[[str, Any, Path], Any],
    *,
    resume: bool,
    is_main_process: Callable[[], bool],
    say: Callable[[str], None],
) -> tuple[Any | None, dict[str, dict[str, Any]]]:
    """Train one adapter per task on the shared base; return the last trainer and results.

    `make_trainer(task, model, task_dir)` builds a TRL trainer that applies a fresh LoRA
    adapter to `model`.
    """
    results: dict[str, dict[str, Any]] = {}
    trainer = None
    for task in tasks:
        task_dir = adapter_dir(output_dir, task)
        if resume and is_finished(output_dir, task):
            say(f"task {task}: adapter already trained, skipped")
            results[task] = {"skipped": True}
            continue
        checkpoint = None
        if resume:
            point = newest_complete(task_dir)
            for line in point.describe_skipped():
                say(f"task {task}: {line}")
            checkpoint = point.checkpoint
        say(f"task {task}: training adapter {task!r} -> {task_dir}")
        trainer = make_trainer(task, base_model, task_dir)
        outcome = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
        trainer.save_model(str(task_dir))
        results[task] = {
            "metrics": dict(outcome.metrics),
            "log_history": list(trainer.state.log_history),
        }
        # Take the adapter out again (no merge): the next task starts from the clean base.
        peft_model = trainer.accelerator.unwrap_model(trainer.model)
        base_model = peft_model.unload()
    if is_main_process():
        write_json(
            output_dir / MULTITASK_INDEX,
            {
                "tasks": tasks,
                "adapters": {task: f"{ADAPTERS_DIR}/{task}" for task in tasks},
                "usage": "tunelint.runner.multitask.load_multitask_model(output_dir); "
                "model.set_adapter(task)",
            },
        )
    return trainer, results


def load_multitask_model(output_dir: str | Path, **model_kwargs: Any) -> Any:
    """Load the shared base once with every task adapter, named by task; switch with
    `model.set_adapter(task)`. Extra keyword arguments go to the base model's
    `from_pretrained` (dtype, device_map, ...)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    output_dir = Path(output_dir)
    index = json.loads((output_dir / MULTITASK_INDEX).read_text(encoding="utf-8"))
    tasks: list[str] = index["tasks"]
    first = output_dir / index["adapters"][tasks[0]]
    base_name = json.loads((first / "adapter_config.json").read_text(encoding="utf-8"))[
        "base_model_name_or_path"
    ]
    base = AutoModelForCausalLM.from_pretrained(base_name, **model_kwargs)
    model = PeftModel.from_pretrained(base, str(first), adapter_name=tasks[0])
    for task in tasks[1:]:
        model.load_adapter(str(output_dir / index["adapters"][task]), adapter_name=task)
    model.set_adapter(tasks[0])
    model.eval()
    return model
