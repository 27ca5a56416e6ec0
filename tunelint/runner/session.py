"""One training run, start to end: Plan in, trained output folder out.

Order matters and is fixed: refuse what cannot run (PPO) -> read and check the data ->
resolve device and precision -> protect the output folder -> (launch workers when several
processes) -> load tokenizer and model -> build PEFT, TRL config and trainer -> print the
resolved plan -> (stop for `--dry-run`) -> train, resuming from a checkpoint if asked ->
save adapter/model, tokenizer, resolved config, run info, metrics and the loss curve.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner import data as data_module
from tunelint.runner import outputs
from tunelint.runner.errors import RunnerError, UnsupportedPlanError
from tunelint.runner.launch import launch, process_count
from tunelint.runner.options import RunOptions
from tunelint.runner.trainer_config import PPO_MESSAGE

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

Say = Callable[[str], None]


def _is_main_process() -> bool:
    # Under accelerate launch every rank runs this code; RANK is set by the launcher.
    return os.environ.get("RANK", "0") == "0"


def _default_say(message: str) -> None:
    if _is_main_process():
        print(f"tunelint: {message}", flush=True)


@dataclass
class RunResult:
    """What a run produced; `trainer` and `model` are set for in-process runs."""

    output_dir: Path
    dry_run: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)
    log_history: list[dict[str, Any]] = field(default_factory=list)
    resolved: dict[str, Any] = field(default_factory=dict)
    trainer: Any = None
    model: Any = None
    tokenizer: Any = None
    exit_code: int = 0


def library_versions() -> dict[str, str]:
    """Versions of the ML stack, for run_info.json and bug reports."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in ("tunelint", "torch", "transformers", "peft", "trl", "accelerate", "datasets"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _describe_peft(peft_config: Any) -> dict[str, Any] | str:
    if peft_config is None:
        return "full fine-tuning (every weight trains)"
    described = {"type": type(peft_config).__name__}
    for key in (
        "r",
        "lora_alpha",
        "lora_dropout",
        "target_modules",
        "use_dora",
        "num_virtual_tokens",
        "feedforward_modules",
        "task_type",
    ):
        value = getattr(peft_config, key, None)
        if value is not None and value is not False:
            described[key] = sorted(value) if isinstance(value, set) else value
    return described


def print_resolved(resolved: dict[str, Any], say: Say) -> None:
    """The resolved plan, as the user should read it before a long run."""
    say("resolved plan:")
    print(json.dumps(resolved, indent=2, default=str), flush=True)


def run_plan(
    plan: Plan,
    base_dir: str | Path,
    options: RunOptions | None = None,
    *,
    say: Say | None = None,
    callbacks: list[Any] | None = None,
) -> RunResult:
    """Train `plan` (paths in it relative to `base_dir`). Raises `RunnerError` for the user.

    `callbacks` (transformers `TrainerCallback`s) are added to the trainer of an in-process
    run; programmatic users and tests hook in there.
    """
    options = options or RunOptions()
    say = say or _default_say
    base_dir = Path(base_dir)
    method = plan.method.kind
    if method == "ppo":
        raise UnsupportedPlanError(PPO_MESSAGE)

    from tunelint.runner.peft_configs import task_names

    tasks = task_names(plan)
    started = time.perf_counter()
    training_data = data_module.load_training_data(plan, base_dir, tasks)

    from tunelint.runner.precision import resolve_precision

    precision = resolve_precision(plan)
    for note in precision.notes:
        say(note)
    output_dir = outputs.resolve_output_dir(plan, base_dir).resolve()
    num_processes, launch_notes = process_count(plan, options, precision.device)
    for note in launch_notes:
        say(note)

    from tunelint.runner.models import check_reachable, resolve_model_source

    # Before the output folder is touched (--overwrite deletes old checkpoints): a missing
    # model must not cost the previous run. For tunelint/tiny this builds it, once, here.
    source = resolve_model_source(plan.model.name, base_dir, plan.model.revision)
    check_reachable(source, plan.model.trust_remote_code)

    resume_from: Path | None = None
    if options.launched:
        resume_from = Path(options.resume_from) if options.resume_from else None
    elif options.dry_run:
        _warn_dry_run_output(output_dir, options, say)
    else:
        resume_from = outputs.prepare_output_dir(
            output_dir, overwrite=options.overwrite, resume=options.resume
        )
        if resume_from is not None:
            say(f"resuming from {resume_from}")

    if num_processes > 1 and not options.launched and not options.dry_run:
        code = launch(plan, base_dir, precision, num_processes, options, resume_from)
        if code != 0:
            raise RunnerError(f"accelerate launch failed (exit status {code}); see the log above")
        return _result_from_disk(output_dir)

    return _train_in_process(
        plan,
        base_dir,
        options,
        say,
        precision=precision,
        source=source,
        training_data=training_data,
        tasks=tasks,
        output_dir=output_dir,
        resume_from=resume_from,
        num_processes=num_processes,
        started=started,
        callbacks=callbacks,
    )


def _warn_dry_run_output(output_dir: Path, options: RunOptions, say: Say) -> None:
    try:
        if options.resume:
            if outputs.last_checkpoint(output_dir) is None:
                say(f"note: --resume would fail: no checkpoint in {output_dir}")
        elif output_dir.is_dir() and any(output_dir.iterdir()) and not options.overwrite:
            say(f"note: a real run would refuse: {output_dir} is not empty (use --overwrite)")
    except OSError:
        pass


def _result_from_disk(output_dir: Path) -> RunResult:
    metrics_path = output_dir / outputs.METRICS
    data: dict[str, Any] = {}
    if metrics_path.is_file():
        data = json.loads(metrics_path.read_text(encoding="utf-8"))
    return RunResult(
        output_dir=output_dir,
        metrics=data.get("metrics", {}),
        log_history=data.get("log_history", []),
    )


def _train_in_process(
    plan: Plan,
    base_dir: Path,
    options: RunOptions,
    say: Say,
    *,
    precision: Any,
    source: Any,
    training_data: data_module.TrainingData,
    tasks: list[str] | None,
    output_dir: Path,
    resume_from: Path | None,
    num_processes: int,
    started: float,
    callbacks: list[Any] | None,
) -> RunResult:
    from transformers import set_seed

    from tunelint.runner.models import load_model, load_tokenizer
    from tunelint.runner.peft_configs import build_peft_config
    from tunelint.runner.trainer_config import build_trainer_config, build_trainer_settings
    from tunelint.runner.trainers import TRAINER_NAMES, build_trainer

    method = plan.method.kind
    # Dry runs build everything but must not write into the real output folder.
    scratch = tempfile.TemporaryDirectory(prefix="tunelint-dry-run-") if options.dry_run else None
    trainer_dir = Path(scratch.name) if scratch else output_dir
    try:
        settings = build_trainer_settings(
            plan,
            precision,
            trainer_dir,
            max_steps=options.max_steps,
            num_processes=num_processes,
            has_eval=training_data.eval is not None,
        )
        for note in settings.notes:
            say(note)
        peft_config = build_peft_config(plan)

        set_seed(plan.training.seed)  # before the model: PEFT initialises adapters randomly
        tokenizer = load_tokenizer(source, plan)
        model = load_model(
            plan,
            source,
            precision,
            sequence_classification=method == "reward",
            num_processes=num_processes,
        )
        rewards = None
        if method in ("grpo", "rloo"):
            from tunelint.runner.rewards import build_rewards

            rewards = build_rewards(
                plan, precision, base_dir, options.reward_funcs, num_processes=num_processes
            )
        args = build_trainer_config(settings)

        resolved = {
            "method": method,
            "trainer": TRAINER_NAMES[method],
            "model": {"name": plan.model.name, "location": source.location},
            "precision": {
                "requested": precision.requested,
                "running": precision.name,
                "device": precision.device,
                "weights_dtype": str(precision.model_dtype(plan.peft.kind)),
            },
            "peft": _describe_peft(peft_config),
            "quantization": plan.effective_quantization,
            "data": {
                "train": plan.data.train if plan.data else None,
                "eval": plan.data.eval if plan.data else None,
                "format": training_data.format,
                "train_records": len(training_data.train),
                "eval_records": len(training_data.eval) if training_data.eval else 0,
            },
            "processes": num_processes,
            "output_dir": str(output_dir),
            "resume_from": str(resume_from) if resume_from else None,
            "trainer_args": {k: v for k, v in settings.kwargs.items() if k != "output_dir"},
            "notes": list(precision.notes) + settings.notes,
        }
        if method in ("dpo", "kto"):
            resolved["reference"] = (
                "base model with the adapter disabled"
                if peft_config is not None
                else "frozen copy of the base model"
            )
        if tasks:
            resolved["tasks"] = {
                name: len(ds) for name, ds in (training_data.train_by_task or {}).items()
            }

        if tasks:
            return _run_multitask(
                plan, options, say, tasks, model, tokenizer, training_data, settings,
                rewards, output_dir, resolved, started, callbacks,
            )  # fmt: skip

        trainer = build_trainer(
            method,
            model=model,
            tokenizer=tokenizer,
            args=args,
            train_dataset=training_data.train,
            eval_dataset=training_data.eval,
            peft_config=peft_config,
            rewards=rewards,
            callbacks=callbacks,
        )
        resolved["world_size"] = trainer.args.world_size
        if trainer.is_world_process_zero():
            print_resolved(resolved, say)
        if options.dry_run:
            say("dry run: model, data and trainer built; nothing trained, nothing written")
            return RunResult(
                output_dir=output_dir,
                dry_run=True,
                resolved=resolved,
                trainer=trainer,
                model=trainer.model,
                tokenizer=tokenizer,
            )
        say(f"training {method} ({resolved['trainer']}) -> {output_dir}")
        outcome = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
        metrics = dict(outcome.metrics)
        if training_data.eval is not None:
            metrics.update(trainer.evaluate())
        trainer.save_model(str(output_dir))
        log_history = list(trainer.state.log_history)
        if trainer.is_world_process_zero():
            tokenizer.save_pretrained(str(output_dir))
            _write_run_files(
                plan, output_dir, resolved, metrics, {"train": log_history}, started, say
            )
        return RunResult(
            output_dir=output_dir,
            metrics=metrics,
            log_history=log_history,
            resolved=resolved,
            trainer=trainer,
            model=trainer.model,
            tokenizer=tokenizer,
        )
    finally:
        if scratch is not None:
            scratch.cleanup()


def _run_multitask(
    plan: Plan,
    options: RunOptions,
    say: Say,
    tasks: list[str],
    model: Any,
    tokenizer: Any,
    training_data: data_module.TrainingData,
    settings: Any,
    rewards: Any,
    output_dir: Path,
    resolved: dict[str, Any],
    started: float,
    callbacks: list[Any] | None,
) -> RunResult:
    from tunelint.runner.multitask import train_tasks
    from tunelint.runner.peft_configs import lora_config
    from tunelint.runner.trainer_config import TrainerSettings, build_trainer_config
    from tunelint.runner.trainers import build_trainer

    by_task = training_data.train_by_task or {}

    def make_trainer(task: str, base_model: Any, task_dir: Path) -> Any:
        task_settings = TrainerSettings(
            method=settings.method,
            config_class=settings.config_class,
            kwargs={**settings.kwargs, "output_dir": str(task_dir), "run_name": task},
        )
        return build_trainer(
            plan.method.kind,
            model=base_model,
            tokenizer=tokenizer,
            args=build_trainer_config(task_settings),
            train_dataset=by_task[task],
            eval_dataset=None,
            peft_config=lora_config(plan),
            rewards=rewards,
            callbacks=callbacks,
        )

    print_resolved(resolved, say)
    if options.dry_run:
        trainer = make_trainer(tasks[0], model, output_dir / "adapters" / tasks[0])
        say("dry run: model, data and the first task's trainer built; nothing trained")
        return RunResult(output_dir, dry_run=True, resolved=resolved, trainer=trainer)

    trainer, results = train_tasks(
        tasks,
        model,
        output_dir,
        make_trainer,
        resume=options.resume,
        is_main_process=_is_main_process,
        say=say,
    )
    if _is_main_process():
        tokenizer.save_pretrained(str(output_dir))
    metrics = {task: r.get("metrics", {}) for task, r in results.items()}
    histories = {task: r.get("log_history", []) for task, r in results.items()}
    if _is_main_process():
        _write_run_files(plan, output_dir, resolved, metrics, histories, started, say)
    return RunResult(
        output_dir=output_dir,
        metrics=metrics,
        log_history=[dict(e, task=t) for t, h in histories.items() for e in h],
        resolved=resolved,
        trainer=trainer,
        tokenizer=tokenizer,
    )


def _write_run_files(
    plan: Plan,
    output_dir: Path,
    resolved: dict[str, Any],
    metrics: dict[str, Any],
    histories: dict[str, list[dict[str, Any]]],
    started: float,
    say: Say,
) -> None:
    outputs.save_resolved_config(plan, output_dir)
    outputs.write_json(
        output_dir / outputs.RUN_INFO,
        {
            "resolved": resolved,
            "versions": library_versions(),
            "wall_seconds": round(time.perf_counter() - started, 2),
        },
    )
    single = list(histories) == ["train"]
    outputs.write_json(
        output_dir / outputs.METRICS,
        {"metrics": metrics, "log_history": histories["train"] if single else histories},
    )
    curve = _plot(plan, output_dir, histories)
    say(f"saved to {output_dir}" + (f" (loss curve: {curve.name})" if curve else ""))


def _plot(plan: Plan, output_dir: Path, histories: dict[str, list[dict[str, Any]]]) -> Path | None:
    title = f"{plan.method.kind} + {plan.peft.kind}: {plan.model.name}"
    if list(histories) == ["train"]:
        return outputs.plot_loss_curve(histories["train"], output_dir / outputs.LOSS_CURVE, title)
    # Multi-task: one curve per task, steps offset so they read left to right.
    merged: list[dict[str, Any]] = []
    offset = 0
    for history in histories.values():
        steps = [e["step"] for e in history if "loss" in e]
        merged += [dict(e, step=e["step"] + offset) for e in history if "loss" in e]
        offset += max(steps, default=0)
    return outputs.plot_loss_curve(merged, output_dir / outputs.LOSS_CURVE, title)
