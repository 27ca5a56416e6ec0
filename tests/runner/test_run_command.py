"""`tunelint run` end to end: lint first, refuse on errors, train, scale out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from runner_support import config, write_config

from tunelint.cli import main


def test_error_level_config_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # bf16 on a T4 (no bf16) is an error finding.
    cfg = config(tmp_path, precision="bf16", hardware={"gpu": "T4"})
    path = write_config(tmp_path / "bad.tune.yaml", cfg)
    assert main(["run", str(path)]) == 1
    captured = capsys.readouterr()
    assert "TL102" in captured.out
    assert "refusing to train" in captured.err
    assert "--force" in captured.err
    assert not (tmp_path / "out").exists()


def test_force_trains_anyway_and_says_so_loudly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path, precision="bf16", hardware={"gpu": "T4"})
    path = write_config(tmp_path / "bad.tune.yaml", cfg)
    assert main(["run", str(path), "--force", "--max-steps", "1"]) == 0
    captured = capsys.readouterr()
    assert "TRAINING DESPITE 1 LINT ERROR(S): TL102" in captured.err
    assert (tmp_path / "out" / "adapter_model.safetensors").is_file()


def test_clean_config_dry_run_prints_the_resolved_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path / "ok.tune.yaml", config(tmp_path, hardware={"gpu": "A100-80GB"}))
    assert main(["run", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert '"trainer": "trl.SFTTrainer"' in out
    assert '"gradient_checkpointing": false' in out
    assert "dry run" in out
    assert "memory estimate: " in out and "peak per GPU" in out
    assert not (tmp_path / "out").exists()


def test_relative_paths_are_relative_to_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    source = Path(__file__).parents[2] / "examples" / "data" / "text.jsonl"
    (project / "data" / "train.jsonl").write_text(source.read_text(encoding="utf-8"))
    cfg = config(
        tmp_path, data={"train": "data/train.jsonl", "format": "text"}, output={"dir": "out"}
    )
    path = write_config(project / "cfg.tune.yaml", cfg)
    monkeypatch.chdir(tmp_path)  # not the config's folder
    assert main(["run", str(path), "--max-steps", "1"]) == 0
    assert (project / "out" / "adapter_model.safetensors").is_file()


def test_uncached_hub_model_fails_fast_and_clearly_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert os.environ.get("HF_HUB_OFFLINE") == "1"
    cfg = config(tmp_path, model={"name": "tunelint-tests/not-a-cached-model"})
    path = write_config(tmp_path / "hub.tune.yaml", cfg)
    assert main(["run", str(path)]) == 1
    err = capsys.readouterr().err
    assert "tunelint-tests/not-a-cached-model" in err
    assert "HF_HUB_OFFLINE" in err
    assert "Traceback" not in err


def test_ppo_is_refused_by_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, method={"kind": "ppo", "reward_model": "tunelint/tiny"})
    path = write_config(tmp_path / "ppo.tune.yaml", cfg)
    assert main(["run", str(path)]) == 1
    captured = capsys.readouterr()
    assert "grpo" in captured.out + captured.err
    assert not (tmp_path / "out").exists()


def test_two_process_cpu_ddp_through_accelerate(tmp_path: Path) -> None:
    cfg = config(tmp_path, training={"max_steps": 3, "micro_batch_size": 2})
    path = write_config(tmp_path / "ddp.tune.yaml", cfg)
    completed = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "run", str(path), "--num-processes", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "accelerate.commands.launch" in completed.stdout
    out = tmp_path / "out"
    info = json.loads((out / "run_info.json").read_text())
    assert info["resolved"]["world_size"] == 2
    assert info["resolved"]["processes"] == 2
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["log_history"][-1]["step"] == 3
    assert (out / "adapter_model.safetensors").is_file()
