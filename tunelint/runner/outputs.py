"""The output directory: never a folder of the user's, never clobbered, resumable.

Layout after a run:

    <output.dir>/
      adapter_model.safetensors, adapter_config.json   (PEFT)  or  model.safetensors (full)
      adapters/<task>/...                              (multi-task: one adapter per task)
      tokenizer files, chat_template.jinja, README.md (model card)
      tunelint_config.yaml     the resolved Plan (every default filled in)
      run_info.json            method, precision, device, trainer settings, library versions
      metrics.json             final metrics and the whole log history
      loss_curve.png           training (and eval) loss per step
      checkpoint-<step>/       the last few checkpoints (`--resume` continues from the newest
                               complete one)
      runs/                    TensorBoard event files when output.report_to has tensorboard
      .tunelint-run.json       what this run wrote: all `--overwrite` may ever delete
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from tunelint.knowledge.output_dirs import unsafe_output_reason
from tunelint.runner.checkpoints import newest_complete
from tunelint.runner.errors import OutputDirError
from tunelint.runner.manifest import MANIFEST, RunManifest, foreign_entries, listing

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

RESOLVED_CONFIG = "tunelint_config.yaml"
RUN_INFO = "run_info.json"
METRICS = "metrics.json"
LOSS_CURVE = "loss_curve.png"
ADAPTERS_DIR = "adapters"


def resolve_output_dir(plan: Plan, base_dir: Path) -> Path:
    """`output.dir`, relative to the config file's folder when not absolute; symlinks resolved."""
    path = Path(plan.output.dir).expanduser()
    return (path if path.is_absolute() else (base_dir / path)).resolve()


def _home() -> PurePath | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, OSError):
        return None


def refuse_unsafe(output_dir: Path, base_dir: Path) -> None:
    """Refuse the project folder, a parent of it, home, / and system folders, whatever the flags."""
    reason = unsafe_output_reason(output_dir, base_dir.resolve(), _home())
    if reason is not None:
        raise OutputDirError(
            f"output.dir {output_dir} cannot hold a run's outputs: {reason}. Nothing was "
            "written or deleted (--overwrite and --force do not change this). Set output.dir "
            "to a folder of its own, e.g. runs/<name>"
        )


@dataclass(frozen=True)
class PreparedOutput:
    """The output folder, ready: where to resume from, the manifest, what to tell the user."""

    manifest: RunManifest
    resume_from: Path | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _has_task_progress(output_dir: Path) -> bool:
    """Whether a multi-task run left adapters or checkpoints under adapters/<task>/."""
    tasks = output_dir / ADAPTERS_DIR
    if not tasks.is_dir():
        return False
    return any(
        newest_complete(task).checkpoint is not None or (task / "adapter_config.json").is_file()
        for task in tasks.iterdir()
        if task.is_dir()
    )


def _prepare_resume(output_dir: Path) -> PreparedOutput:
    point = newest_complete(output_dir)
    notes = tuple(point.describe_skipped())
    manifest = RunManifest.read(output_dir) or RunManifest(output_dir)
    # Files that no run listed stay the user's: never claimed, never deleted later.
    manifest.baseline = set(foreign_entries(output_dir, manifest))
    if point.checkpoint is None and _has_task_progress(output_dir):
        return PreparedOutput(manifest, None, notes)  # multi-task: each task resumes itself
    if point.checkpoint is None:
        skipped = "".join(f"\n  {line}" for line in notes)
        raise OutputDirError(
            f"--resume: no checkpoint to resume from in {output_dir} (no complete "
            "checkpoint-<step> folder)" + skipped
        )
    return PreparedOutput(manifest, point.checkpoint, notes)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()  # a link itself, never what it points to
    elif path.is_dir():
        shutil.rmtree(path)


def prepare_output_dir(output_dir: Path, *, overwrite: bool, resume: bool) -> PreparedOutput:
    """Make sure the run loses nothing of anyone's; say where to resume from.

    - a missing or empty folder: fine;
    - `resume`: the newest complete checkpoint (incomplete newer ones are skipped, named);
    - a non-empty folder without `overwrite`: refused;
    - `overwrite`: what the previous run's manifest lists is deleted; any other file in the
      folder (the user's) refuses the run, and nothing is deleted.
    """
    if output_dir.exists() and not output_dir.is_dir():
        raise OutputDirError(f"output.dir {output_dir} exists and is not a folder")
    if resume:
        return _prepare_resume(output_dir)
    if output_dir.is_dir() and listing(output_dir):
        if not overwrite:
            raise OutputDirError(
                f"output.dir {output_dir} already holds files; nothing was changed. Pass "
                "--overwrite to replace an earlier run's results, --resume to continue from "
                "its last checkpoint, or set another output.dir"
            )
        previous = RunManifest.read(output_dir)
        foreign = foreign_entries(output_dir, previous)
        if foreign:
            shown = ", ".join(foreign[:8]) + (
                f" and {len(foreign) - 8} more" if len(foreign) > 8 else ""
            )
            raise OutputDirError(
                f"--overwrite replaces only what an earlier tunelint run wrote (listed in its "
                f"{MANIFEST}), but output.dir {output_dir} also holds {shown}, which no run "
                "wrote; nothing was deleted. Move those away or set another output.dir"
            )
        assert previous is not None  # a non-empty folder with nothing foreign has a manifest
        for name in sorted(previous.entries):
            _remove(output_dir / name)
        (output_dir / MANIFEST).unlink(missing_ok=True)
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest = RunManifest(output_dir)
    manifest.write()
    return PreparedOutput(manifest)
