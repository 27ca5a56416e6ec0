"""Which `checkpoint-<step>` folder a run can resume from.

A checkpoint is complete when every file `Trainer._save_checkpoint` writes is there
(transformers 5.24, `trainer.py`): first the weights (`save_model`), then the optimizer and
the scheduler (unless DeepSpeed or FSDP keep them in their own folders), and
`trainer_state.json` last. A run killed or out of disk mid-save leaves a folder without
some of them; transformers' `get_last_checkpoint` would still pick it (it only looks at the
number), and the resume then crashes inside torch. Here the newest *complete* one wins,
and every newer one skipped is named with what it lacks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

CHECKPOINT_PATTERN = re.compile(r"^checkpoint-(\d+)$")
TRAINER_STATE = "trainer_state.json"
# save_model: full weights (single file or sharded index), a PEFT adapter, or FSDP shards.
WEIGHTS = re.compile(
    r"^(model\.safetensors(\.index\.json)?|pytorch_model\.bin(\.index\.json)?"
    r"|adapter_model\.(safetensors|bin)|pytorch_model_fsdp.*)$"
)
# DeepSpeed saves model, optimizer and scheduler states into its own global_step<N> folder.
DEEPSPEED_STATE = re.compile(r"^global_step\d+$")
OPTIMIZER = re.compile(r"^(optimizer\.(pt|bin)|optimizer_\d+(_rank\d+\.bin)?)$")
SCHEDULER = "scheduler.pt"


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint folder and what it lacks (empty when complete)."""

    path: Path
    step: int
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


def _missing_parts(folder: Path) -> tuple[str, ...]:
    try:
        names = {child.name for child in folder.iterdir()}
    except OSError as exc:
        return (f"unreadable ({exc.strerror})",)
    deepspeed = any(DEEPSPEED_STATE.match(name) for name in names)
    missing = []
    if not deepspeed and not any(WEIGHTS.match(name) for name in names):
        missing.append("model weights")
    if not deepspeed and not any(OPTIMIZER.match(name) for name in names):
        missing.append("optimizer.pt")
    if not deepspeed and SCHEDULER not in names:
        missing.append(SCHEDULER)
    if TRAINER_STATE not in names:
        missing.append(TRAINER_STATE)
    else:
        try:
            json.loads((folder / TRAINER_STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            missing.append(f"a readable {TRAINER_STATE} (it is cut short)")
    return tuple(missing)


def scan(output_dir: Path) -> list[Checkpoint]:
    """Every checkpoint folder in `output_dir`, oldest first, with what each lacks."""
    if not output_dir.is_dir():
        return []
    found = []
    for child in output_dir.iterdir():
        match = CHECKPOINT_PATTERN.match(child.name)
        if match and child.is_dir():
            found.append(Checkpoint(child, int(match.group(1)), _missing_parts(child)))
    return sorted(found, key=lambda c: c.step)


@dataclass(frozen=True)
class ResumePoint:
    """The checkpoint to resume from (None: none complete) and the newer ones skipped."""

    checkpoint: Path | None
    skipped: tuple[Checkpoint, ...]

    def describe_skipped(self) -> list[str]:
        """One line per skipped checkpoint: its name and what it lacks."""
        return [
            f"skipped {c.path.name}: incomplete (missing {', '.join(c.missing)}; the run was "
            "killed or the disk filled while it was saved)"
            for c in self.skipped
        ]


def newest_complete(output_dir: Path) -> ResumePoint:
    """The newest complete checkpoint of `output_dir` and the incomplete ones after it."""
    skipped: list[Checkpoint] = []
    for checkpoint in reversed(scan(output_dir)):
        if checkpoint.complete:
            return ResumePoint(checkpoint.path, tuple(skipped))
        skipped.append(checkpoint)
    return ResumePoint(None, tuple(skipped))
