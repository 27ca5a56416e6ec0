"""Everything decided before a run touches a model, made once into one frozen value.

Order matters and is fixed: refuse what cannot run (PPO) -> read and check the data ->
resolve device and precision -> refuse an unsafe output folder -> resolve the model (a
missing one must not cost the previous run's files) -> protect and prepare the output
folder (manifest, resume point). The session then only builds and trains.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner import data as data_module
from tunelint.runner import outputs
from tunelint.runner.checkpoints import newest_complete
from tunelint.runner.errors import UnsupportedPlanError
from tunelint.runner.manifest import RunManifest, foreign_entries, listing
from tunelint.runner.messages import Say, default_say, is_main_process
from tunelint.runner.options import RunOptions
from tunelint.runner.processes import process_count
from tunelint.runner.trainer_config import PPO_MESSAGE

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.runner.models import ModelSource
    from tunelint.runner.precision import PrecisionChoice


@dataclass(frozen=True)
class PreparedRun:
    """One run, ready to build: the Plan, the command-line options and every decision."""

    plan: Plan
    options: RunOptions
    base_dir: Path  # the config's folder: paths in the Plan are relative to it
    output_dir: Path
    precision: PrecisionChoice
    source: ModelSource
    training_data: data_module.TrainingData
    tasks: tuple[str, ...] | None
    num_processes: int
    resume_from: Path | None
    manifest: RunManifest | None  # None on a dry run: it writes nothing
    started: float
    say: Say = default_say
    callbacks: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def method(self) -> str:
        return self.plan.method.kind

    @property
    def dry_run(self) -> bool:
        return self.options.dry_run

    @property
    def launches_workers(self) -> bool:
        """Whether this process starts `accelerate launch` workers instead of training."""
        return self.num_processes > 1 and not self.options.launched and not self.dry_run


def _dry_run_notes(output_dir: Path, options: RunOptions) -> list[str]:
    """What a real run would say about the output folder (a dry run changes nothing)."""
    try:
        if options.resume:
            point = newest_complete(output_dir)
            if point.checkpoint is None:
                return [f"note: --resume would fail: no complete checkpoint in {output_dir}"]
            return [f"note: --resume would continue from {point.checkpoint}"]
        if output_dir.is_dir() and listing(output_dir) and not options.overwrite:
            return [f"note: a real run would refuse: {output_dir} is not empty (use --overwrite)"]
    except OSError:
        pass
    return []


def _prepare_output(
    output_dir: Path, options: RunOptions, say: Say
) -> tuple[Path | None, RunManifest | None]:
    resume_from = Path(options.resume_from) if options.resume_from else None
    if options.launched:  # the parent prepared the folder; rank 0 keeps its manifest current
        manifest = RunManifest.read(output_dir) if is_main_process() else None
        if manifest is not None:
            manifest.baseline = set(foreign_entries(output_dir, manifest))
        return resume_from, manifest
    if options.dry_run:
        for note in _dry_run_notes(output_dir, options):
            say(note)
        return None, None
    prepared = outputs.prepare_output_dir(
        output_dir, overwrite=options.overwrite, resume=options.resume
    )
    for note in prepared.notes:
        say(note)
    if prepared.resume_from is not None:
        say(f"resuming from {prepared.resume_from}")
    return prepared.resume_from, prepared.manifest


def prepare_run(
    plan: Plan,
    base_dir: Path,
    options: RunOptions,
    *,
    say: Say = default_say,
    callbacks: tuple[Any, ...] = (),
) -> PreparedRun:
    """Check and decide everything a run needs before any model loads; raise `RunnerError`."""
    if plan.method.kind == "ppo":
        raise UnsupportedPlanError(PPO_MESSAGE)
    from tunelint.runner.models import check_reachable, resolve_model_source
    from tunelint.runner.peft_configs import task_names
    from tunelint.runner.precision import resolve_precision

    started = time.perf_counter()
    tasks = task_names(plan)
    training_data = data_module.load_training_data(plan, base_dir, tasks)
    precision = resolve_precision(plan)
    for note in precision.notes:
        say(note)
    output_dir = outputs.resolve_output_dir(plan, base_dir)
    if not options.launched:
        outputs.refuse_unsafe(output_dir, base_dir)
    num_processes, launch_notes = process_count(plan, options, precision.device)
    for note in launch_notes:
        say(note)

    # A dry run executes no code from any model repository, whatever the flags say.
    trust = plan.model.trust_remote_code and not options.dry_run
    if options.dry_run and plan.model.trust_remote_code:
        say("dry run: model.trust_remote_code is not honoured (no repository code runs)")
    # Before the output folder is touched (--overwrite deletes the old run): a missing model
    # must not cost the previous run. For tunelint/tiny this builds it, once, here.
    source = resolve_model_source(
        plan.model.name, base_dir, plan.model.revision, trust_remote_code=trust
    )
    check_reachable(source)
    resume_from, manifest = _prepare_output(output_dir, options, say)
    return PreparedRun(
        plan=plan,
        options=options,
        base_dir=base_dir,
        output_dir=output_dir,
        precision=precision,
        source=source,
        training_data=training_data,
        tasks=tuple(tasks) if tasks else None,
        num_processes=num_processes,
        resume_from=resume_from,
        manifest=manifest,
        started=started,
        say=say,
        callbacks=callbacks,
    )
