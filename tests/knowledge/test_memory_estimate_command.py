"""`tunelint estimate`: text and JSON output, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

CONFIG = """\
model:
  name: Qwen/Qwen2.5-7B-Instruct
  max_seq_len: 2048
peft:
  kind: lora
precision: bf16
hardware:
  gpu: A10G
training:
  micro_batch_size: 4
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "estimate", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_json_contract_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG)
    out = _run("cfg.tune.yaml", "--format", "json", cwd=tmp_path)
    assert out.returncode == 1, out.stderr  # does not fit an A10G
    data = json.loads(out.stdout)
    assert data["capacity_gib"] == 24 and data["fits"] is False
    assert data["per_gpu_gib"] > 24
    assert {"weights", "activations", "logits"} <= set(data["components"])
    assert abs(sum(data["components"].values()) - data["per_gpu_gib"]) < 0.01
    labels = [w["label"] for w in data["what_ifs"]]
    assert "with gradient checkpointing" in labels
    assert any("QLoRA" in label for label in labels)
    assert data["longest_sequence"] is not None and data["assumptions"]


def test_gpu_option_overrides_and_text_output(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(
        CONFIG.replace("micro_batch_size: 4", "micro_batch_size: 1")
    )
    out = _run("cfg.tune.yaml", "--gpu", "H100", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "H100" in out.stdout and "fits:" in out.stdout
    assert "largest micro-batch that fits" in out.stdout and "assumptions" in out.stdout


def test_unknown_model_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(
        CONFIG.replace("Qwen/Qwen2.5-7B-Instruct", "acme/secret")
    )
    out = _run("cfg.tune.yaml", cwd=tmp_path)
    assert out.returncode == 2 and "not in the model catalog" in out.stderr
    assert _run("missing.yaml", cwd=tmp_path).returncode == 2


def test_without_gpu_there_is_no_verdict(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG.replace("hardware:\n  gpu: A10G\n", ""))
    out = _run("cfg.tune.yaml", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0
    data = json.loads(out.stdout)
    assert data["fits"] is None and data["capacity_gib"] is None
