"""`--resume` takes the newest complete checkpoint; a full disk is said as such (issue 10, 9)."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

import pytest
from runner_support import config, write_config

from tunelint.cli import main
from tunelint.runner.checkpoints import newest_complete
from tunelint.runner.disk_full import as_disk_full
from tunelint.runner.manifest import MANIFEST

HF_CHECKPOINT = ("adapter_model.safetensors", "optimizer.pt", "scheduler.pt", "rng_state.pth")


def _checkpoint(folder: Path, files: tuple[str, ...], state: str | None = "{}") -> None:
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).write_bytes(b"x")
    if state is not None:
        (folder / "trainer_state.json").write_text(state, encoding="utf-8")


def test_newest_complete_checkpoint_skips_incomplete_newer_ones(tmp_path: Path) -> None:
    _checkpoint(tmp_path / "checkpoint-2", HF_CHECKPOINT)
    _checkpoint(tmp_path / "checkpoint-4", HF_CHECKPOINT, state=None)
    _checkpoint(tmp_path / "checkpoint-6", HF_CHECKPOINT, state='{"global_step": 6, "log_hi')
    _checkpoint(tmp_path / "checkpoint-10", ("adapter_model.safetensors",), state=None)
    point = newest_complete(tmp_path)
    assert point.checkpoint == tmp_path / "checkpoint-2"
    assert point.describe_skipped() == [
        "skipped checkpoint-10: incomplete (missing optimizer.pt, scheduler.pt, "
        "trainer_state.json; the run was killed or the disk filled while it was saved)",
        "skipped checkpoint-6: incomplete (missing a readable trainer_state.json (it is cut "
        "short); the run was killed or the disk filled while it was saved)",
        "skipped checkpoint-4: incomplete (missing trainer_state.json; the run was killed or "
        "the disk filled while it was saved)",
    ]


def test_sharded_and_deepspeed_checkpoints_are_complete(tmp_path: Path) -> None:
    _checkpoint(
        tmp_path / "checkpoint-1",
        ("model.safetensors.index.json", "optimizer.pt", "scheduler.pt"),
    )
    _checkpoint(tmp_path / "checkpoint-2", ("global_step2", "config.json"))
    assert newest_complete(tmp_path).checkpoint == tmp_path / "checkpoint-2"
    assert newest_complete(tmp_path).skipped == ()
    (tmp_path / "checkpoint-2" / "global_step2").unlink()
    assert newest_complete(tmp_path).checkpoint == tmp_path / "checkpoint-1"


def test_resume_through_the_cli_takes_the_newest_complete_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, training={"max_steps": 4, "save_steps": 2})
    path = write_config(tmp_path / "cfg.tune.yaml", cfg)
    assert main(["run", str(path)]) == 0
    out = tmp_path / "out"
    # As after a full disk: the newest checkpoint lost its optimizer and trainer state.
    (out / "checkpoint-4" / "optimizer.pt").unlink()
    (out / "checkpoint-4" / "trainer_state.json").unlink()
    capsys.readouterr()

    assert main(["run", str(path), "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "skipped checkpoint-4: incomplete (missing optimizer.pt, trainer_state.json;" in printed
    assert f"resuming from {out / 'checkpoint-2'}" in printed
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    # Steps 1-2 come back from checkpoint-2's state; 3-4 were trained again.
    assert [e["step"] for e in state["log_history"] if "loss" in e] == [1, 2, 3, 4]
    info = json.loads((out / "run_info.json").read_text())
    assert info["resolved"]["resume_from"] == str(out / "checkpoint-2")


def test_resume_with_only_incomplete_checkpoints_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "cfg.tune.yaml", config(tmp_path))
    _checkpoint(tmp_path / "out" / "checkpoint-3", ("adapter_model.safetensors",), state=None)
    assert main(["run", str(path), "--resume"]) == 1
    err = capsys.readouterr().err
    assert "no checkpoint to resume from" in err
    assert "skipped checkpoint-3: incomplete (missing optimizer.pt" in err


def test_full_disk_during_a_checkpoint_is_reported_with_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import torch

    real_save = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> Any:
        if str(f).endswith("optimizer.pt"):
            raise OSError(errno.ENOSPC, "No space left on device", str(f))
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    cfg = config(tmp_path, training={"max_steps": 2, "save_steps": 1})
    path = write_config(tmp_path / "cfg.tune.yaml", cfg)
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    out = tmp_path / "out"
    assert f"the disk is full: writing {out / 'checkpoint-1' / 'optimizer.pt'} failed" in err
    assert "--resume" in err
    assert "Traceback" not in err
    # The cut-short checkpoint was listed before it was written: --overwrite may replace it.
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["status"] == "failed"
    assert "checkpoint-1" in manifest["entries"]


def test_writer_errors_count_as_a_full_disk_only_when_they_say_so(tmp_path: Path) -> None:
    safetensors_style = RuntimeError(
        'Error while serializing: IoError(Os { code: 28, kind: StorageFull, message: "No '
        'space left on device" })'
    )
    assert as_disk_full(safetensors_style, tmp_path) is not None
    # torch's zip writer gives no errno: with plenty of free space it is not a full disk.
    assert (
        as_disk_full(RuntimeError("PytorchStreamWriter failed: file write failed"), tmp_path)
        is None
    )
    assert as_disk_full(OSError(errno.EACCES, "Permission denied"), tmp_path) is None
    chained = RuntimeError("save failed")
    chained.__cause__ = OSError(errno.EDQUOT, "Disk quota exceeded", "/x/model.safetensors")
    full = as_disk_full(chained, tmp_path)
    assert full is not None and "/x/model.safetensors" in str(full)
