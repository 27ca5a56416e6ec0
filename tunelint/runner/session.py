"""One training run, start to end: Plan in, trained output folder out.

`prepare_run` decides everything that needs no model (see `prepared`); then this module
either launches workers (several processes) or, in process: load tokenizer and model ->
build PEFT, TRL config and trainer -> print the resolved plan -> (stop for `--dry-run`) ->
train, resuming from a checkpoint if asked -> save adapter/model and tokenizer, and hand
the rest (resolved config, run info, metrics, loss curve) to `reporting`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner import reporting
from tunelint.runner.disk_full import as_disk_full
from tunelint.runner.errors import RemoteCodeRefusedError, RunnerError
from tunelint.runner.launch import launch
from tunelint.runner.messages import Say, default_say, is_main_process
from tunelint.runner.options import RunOptions
from tunelint.runner.prepared import PreparedRun, prepare_run

if TYPE_CHECKING:
    from tunelint.config.plan import Plan


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
    say = say or default_say
    try:
        run = prepare_run(plan, Path(base_dir), options, say=say, callbacks=tuple(callbacks or ()))
    except RemoteCodeRefusedError as exc:
        if not options.dry_run:
            raise
        return _dry_run_stopped(Path(plan.output.dir), exc, say)
    if run.launches_workers:
        return _launch(run)
    try:
        return _train_in_process(run)
    except RemoteCodeRefusedError as exc:
        if not run.dry_run:
            raise
        return _dry_run_stopped(run.output_dir, exc, say)


def _dry_run_stopped(output_dir: Path, exc: Exception, say: Say) -> RunResult:
    say(f"dry run stopped before building the model: {exc}")
    return RunResult(output_dir=output_dir, dry_run=True)


def _launch(run: PreparedRun) -> RunResult:
    code = 1
    try:
        code = launch(run)
    finally:
        if run.manifest is not None:
            run.manifest.finish("finished" if code == 0 else "failed")
    if code != 0:
        raise RunnerError(f"accelerate launch failed (exit status {code}); see the log above")
    data = reporting.read_metrics(run.output_dir)
    return RunResult(
        output_dir=run.output_dir,
        metrics=data.get("metrics", {}),
        log_history=data.get("log_history", []),
    )


def _train_in_process(run: PreparedRun) -> RunResult:
    # Dry runs build everything but must not write into the real output folder.
    scratch = tempfile.TemporaryDirectory(prefix="tunelint-dry-run-") if run.dry_run else None
    status = "failed"
    try:
        result = _build_and_train(run, Path(scratch.name) if scratch else run.output_dir)
        status = "finished"
        return result
    except Exception as exc:  # a full disk shows up as OSError, RuntimeError or a writer's own
        full = as_disk_full(exc, run.output_dir)
        if full is None:
            raise
        raise full from None
    finally:
        if scratch is not None:
            scratch.cleanup()
        if run.manifest is not None:
            run.manifest.finish(status)


def _build_and_train(run: PreparedRun, trainer_dir: Path) -> RunResult:
    from transformers import set_seed

    from tunelint.runner.models import load_model, load_tokenizer
    from tunelint.runner.peft_configs import build_peft_config
    from tunelint.runner.trainer_config import build_trainer_config, build_trainer_settings
    from tunelint.runner.trainers import TRAINER_NAMES, build_trainer

    plan, say = run.plan, run.say
    settings = build_trainer_settings(
        plan,
        run.precision,
        trainer_dir,
        max_steps=run.options.max_steps,
        num_processes=run.num_processes,
        has_eval=run.training_data.eval is not None,
    )
    for note in settings.notes:
        say(note)
    peft_config = build_peft_config(plan)

    set_seed(plan.training.seed)  # before the model: PEFT initialises adapters randomly
    tokenizer = load_tokenizer(run.source)
    model = load_model(
        plan,
        run.source,
        run.precision,
        sequence_classification=run.method == "reward",
        num_processes=run.num_processes,
    )
    rewards = None
    if run.method in ("grpo", "rloo"):
        from tunelint.runner.rewards import build_rewards

        rewards = build_rewards(
            plan,
            run.precision,
            run.base_dir,
            run.options.reward_funcs,
            say=say,
            dry_run=run.dry_run,
        )
    resolved = reporting.resolved_plan(run, TRAINER_NAMES[run.method], settings, peft_config)
    callbacks = _callbacks(run)
    if run.tasks:
        return _run_multitask(run, model, tokenizer, settings, rewards, resolved, callbacks)

    trainer = build_trainer(
        run.method,
        model=model,
        tokenizer=tokenizer,
        args=build_trainer_config(settings),
        train_dataset=run.training_data.train,
        eval_dataset=run.training_data.eval,
        peft_config=peft_config,
        rewards=rewards,
        callbacks=callbacks,
    )
    resolved["world_size"] = trainer.args.world_size
    if trainer.is_world_process_zero():
        reporting.print_resolved(resolved, say)
    if run.dry_run:
        say("dry run: model, data and trainer built; nothing trained, nothing written")
        return RunResult(
            output_dir=run.output_dir,
            dry_run=True,
            resolved=resolved,
            trainer=trainer,
            model=trainer.model,
            tokenizer=tokenizer,
        )
    say(f"training {run.method} ({resolved['trainer']}) -> {run.output_dir}")
    resume = str(run.resume_from) if run.resume_from else None
    outcome = trainer.train(resume_from_checkpoint=resume)
    metrics = dict(outcome.metrics)
    if run.training_data.eval is not None:
        metrics.update(trainer.evaluate())
    trainer.save_model(str(run.output_dir))
    log_history = list(trainer.state.log_history)
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(str(run.output_dir))
        reporting.write_run_files(run, resolved, metrics, {"train": log_history})
    return RunResult(
        output_dir=run.output_dir,
        metrics=metrics,
        log_history=log_history,
        resolved=resolved,
        trainer=trainer,
        model=trainer.model,
        tokenizer=tokenizer,
    )


def _callbacks(run: PreparedRun) -> list[Any]:
    callbacks = list(run.callbacks)
    if run.manifest is not None:
        from tunelint.runner.callbacks import ManifestCallback

        callbacks.append(ManifestCallback(run.manifest))
    return callbacks


def _run_multitask(
    run: PreparedRun,
    model: Any,
    tokenizer: Any,
    settings: Any,
    rewards: Any,
    resolved: dict[str, Any],
    callbacks: list[Any],
) -> RunResult:
    from tunelint.runner.multitask import adapter_dir, train_tasks
    from tunelint.runner.peft_configs import lora_config
    from tunelint.runner.trainer_config import TrainerSettings, build_trainer_config
    from tunelint.runner.trainers import build_trainer

    assert run.tasks is not None
    tasks = list(run.tasks)
    by_task = run.training_data.train_by_task or {}

    def make_trainer(task: str, base_model: Any, task_dir: Path) -> Any:
        task_settings = TrainerSettings(
            method=settings.method,
            config_class=settings.config_class,
            kwargs={**settings.kwargs, "output_dir": str(task_dir), "run_name": task},
        )
        return build_trainer(
            run.method,
            model=base_model,
            tokenizer=tokenizer,
            args=build_trainer_config(task_settings),
            train_dataset=by_task[task],
            eval_dataset=None,
            peft_config=lora_config(run.plan),
            rewards=rewards,
            callbacks=callbacks,
        )

    reporting.print_resolved(resolved, run.say)
    if run.dry_run:
        trainer = make_trainer(tasks[0], model, adapter_dir(run.output_dir, tasks[0]))
        run.say("dry run: model, data and the first task's trainer built; nothing trained")
        return RunResult(run.output_dir, dry_run=True, resolved=resolved, trainer=trainer)

    trainer, results = train_tasks(
        tasks,
        model,
        run.output_dir,
        make_trainer,
        resume=run.options.resume,
        is_main_process=is_main_process,
        say=run.say,
    )
    metrics = {task: r.get("metrics", {}) for task, r in results.items()}
    histories = {task: r.get("log_history", []) for task, r in results.items()}
    if is_main_process():
        tokenizer.save_pretrained(str(run.output_dir))
        reporting.write_run_files(run, resolved, metrics, histories)
    return RunResult(
        output_dir=run.output_dir,
        metrics=metrics,
        log_history=[dict(e, task=t) for t, h in histories.items() for e in h],
        resolved=resolved,
        trainer=trainer,
        tokenizer=tokenizer,
    )
