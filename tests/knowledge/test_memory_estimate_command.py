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
    # TRL 1.14 still computes full logits (1.15's fused LM head has none): a logits term.
    (tmp_path / "requirements.txt").write_text("trl==1.14.0\n")
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


SHARDED = """\
model:
  name: meta-llama/Llama-3.1-8B
  max_seq_len: 2048
peft:
  kind: full
precision: bf16
hardware:
  gpu: A100-80GB
  distributed: deepspeed-zero3
training:
  micro_batch_size: 2
"""


def test_three_views_in_json(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG)
    data = json.loads(_run("cfg.tune.yaml", "--format", "json", cwd=tmp_path).stdout)
    views = data["views_gib"]
    assert views["allocated"] < views["reserved"] < views["nvidia_smi"]
    assert views["nvidia_smi"] == data["per_gpu_gib"]
    # The verdict compares what nvidia-smi would show with the GPU's memory.
    assert data["fits"] is (views["nvidia_smi"] <= data["capacity_gib"])


def test_sharded_without_count_reports_the_fewest_gpus(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(SHARDED)
    data = json.loads(_run("cfg.tune.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert data["gpu_count_stated"] is False
    fewest = data["smallest_gpu_count"]
    assert fewest is not None and fewest > 1 and data["gpu_count"] == fewest
    assert data["fits"] is True
    assert any("smallest count that fits" in a for a in data["assumptions"])
    one = json.loads(
        _run("cfg.tune.yaml", "--format", "json", "--gpu-count", "1", cwd=tmp_path).stdout
    )
    assert one["gpu_count_stated"] is True and one["smallest_gpu_count"] is None
    assert one["gpu_count"] == 1 and one["fits"] is False
    fewer = json.loads(
        _run(
            "cfg.tune.yaml", "--format", "json", "--gpu-count", str(fewest - 1), cwd=tmp_path
        ).stdout
    )
    assert fewer["fits"] is False


def test_deepspeed_json_is_read_as_written(tmp_path: Path) -> None:
    ds = {
        "zero_optimization": {
            "stage": 3,
            "reduce_bucket_size": "auto",
            "overlap_comm": False,
            "stage3_prefetch_bucket_size": "auto",
            "offload_optimizer": {"device": "cpu"},
        }
    }
    (tmp_path / "ds.json").write_text(json.dumps(ds))
    (tmp_path / "cfg.tune.yaml").write_text(
        SHARDED.replace(
            "  distributed: deepspeed-zero3\n",
            "  distributed: deepspeed-zero3\n  count: 4\n  deepspeed_config: ds.json\n",
        )
    )
    data = json.loads(_run("cfg.tune.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert "optimizer_states" not in data["components"]  # offloaded to CPU
    assert any("CPU offload: optimizer states" in a for a in data["assumptions"])
    assert not any("buckets at their defaults" in a for a in data["assumptions"])


def test_memory_savers_are_shown_and_lower_the_peak(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG)
    (tmp_path / "requirements.txt").write_text("trl==1.14.0\n")  # full logits (no fused head)
    (tmp_path / "saver.tune.yaml").write_text(
        CONFIG + "  chunked_loss: true\n  activation_offloading: true\n"
    )
    plain = json.loads(_run("cfg.tune.yaml", "--format", "json", cwd=tmp_path).stdout)
    saver = json.loads(_run("saver.tune.yaml", "--format", "json", cwd=tmp_path).stdout)
    assert plain["training"]["memory_savers"] == []
    assert saver["training"]["memory_savers"] == ["chunked_loss", "activation_offloading"]
    assert "logits" in plain["components"] and "logits" not in saver["components"]
    assert saver["per_gpu_gib"] < plain["per_gpu_gib"]
    text = _run("saver.tune.yaml", cwd=tmp_path).stdout
    assert "chunked loss, activation offloading" in text
