"""Precision from the Plan, and no TRL default inherited silently."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from runner_support import config, train

from tunelint.config.plan import Plan
from tunelint.runner.errors import RunnerError
from tunelint.runner.launch import launch_command
from tunelint.runner.options import RunOptions
from tunelint.runner.precision import resolve_precision
from tunelint.runner.processes import process_count
from tunelint.runner.trainer_config import build_trainer_config, build_trainer_settings


def _plan(tmp_path: Path, **sections: object) -> Plan:
    return Plan.model_validate(config(tmp_path, **sections))


def test_fp16_on_cpu_is_said_and_runs_fp32(tmp_path: Path) -> None:
    result = train(tmp_path, config(tmp_path, precision="fp16"))
    assert result.resolved["precision"] == {
        "requested": "fp16",
        "running": "fp32",
        "device": "cpu",
        "weights_dtype": "torch.float32",
    }
    assert any("fp16 is not available on CPU" in m for m in result.resolved["messages"])
    assert result.trainer.args.fp16 is False
    assert result.trainer.args.bf16 is False
    assert result.trainer.accelerator.mixed_precision == "no"


def test_bf16_on_cpu_runs_bf16(tmp_path: Path) -> None:
    result = train(tmp_path, config(tmp_path, precision="bf16"))
    assert result.trainer.args.bf16 is True
    assert result.trainer.accelerator.mixed_precision == "bf16"
    base = result.model.get_base_model()
    assert base.model.layers[0].mlp.up_proj.base_layer.weight.dtype == torch.bfloat16
    # PEFT keeps the trainable adapter in fp32.
    assert base.model.layers[0].mlp.up_proj.lora_A["default"].weight.dtype == torch.float32


def test_bf16_on_a_gpu_without_it_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tunelint.runner import precision

    monkeypatch.setattr(precision, "_cuda_has_bf16", lambda: False)
    with pytest.raises(RunnerError, match="no bf16 support"):
        resolve_precision(_plan(tmp_path, precision="bf16"), device="cuda")
    choice = resolve_precision(_plan(tmp_path, precision=None), device="cuda")
    assert choice.name == "fp32"


@pytest.mark.parametrize("method", ["sft", "dpo", "orpo", "kto", "reward", "grpo", "rloo"])
def test_trl_defaults_are_overridden_from_the_plan(tmp_path: Path, method: str) -> None:
    # TRL defaults bf16=True and gradient_checkpointing=True; the Plan says neither.
    plan = _plan(
        tmp_path,
        method={"kind": method, "num_generations": 2},
        precision="fp32",
        model={"max_seq_len": 77},
        output={"report_to": []},
    )
    settings = build_trainer_settings(plan, resolve_precision(plan), tmp_path / "o")
    args = build_trainer_config(settings)
    assert args.bf16 is False and args.fp16 is False
    assert args.gradient_checkpointing is False
    assert args.activation_checkpointing is False
    assert args.use_cpu is True
    assert args.report_to in ([], "none", ["none"])
    if method not in ("grpo", "rloo"):
        assert args.max_length == 77
    else:
        assert args.num_generations == 2
        assert args.max_completion_length == 38


def test_gradient_checkpointing_is_passed_through_when_asked(tmp_path: Path) -> None:
    plan = _plan(tmp_path, training={"gradient_checkpointing": True})
    args = build_trainer_config(build_trainer_settings(plan, resolve_precision(plan), tmp_path))
    assert args.gradient_checkpointing is True


def test_generation_batch_is_rounded_to_whole_groups(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path, method={"kind": "grpo", "num_generations": 4}, training={"micro_batch_size": 3}
    )
    settings = build_trainer_settings(plan, resolve_precision(plan), tmp_path)
    assert settings.kwargs["generation_batch_size"] == 12
    assert any("whole groups" in note for note in settings.notes)


def test_deepspeed_and_fsdp_come_from_hardware_distributed(tmp_path: Path) -> None:
    plan = _plan(
        tmp_path, hardware={"count": 2, "distributed": "deepspeed-zero3", "cpu_offload": True}
    )
    kwargs = build_trainer_settings(plan, resolve_precision(plan), tmp_path).kwargs
    zero = kwargs["deepspeed"]["zero_optimization"]
    assert zero["stage"] == 3
    assert zero["offload_param"]["device"] == "cpu"
    plan = _plan(tmp_path, hardware={"count": 2, "distributed": "fsdp"})
    kwargs = build_trainer_settings(plan, resolve_precision(plan), tmp_path).kwargs
    assert kwargs["fsdp"] == "full_shard auto_wrap"


def test_launch_command_uses_real_multi_process_data_parallelism(tmp_path: Path) -> None:
    plan = _plan(tmp_path, hardware={"count": 4})
    precision = resolve_precision(plan)
    count, notes = process_count(plan, RunOptions(), "cuda")
    assert count == 4 and not notes
    count, notes = process_count(plan, RunOptions(), "cpu")
    assert count == 1 and "no GPU is visible" in notes[0]
    assert process_count(plan, RunOptions(num_processes=2), "cpu")[0] == 2
    command = launch_command(tmp_path / "spec.json", plan, precision, 2, RunOptions())
    joined = " ".join(command)
    assert "accelerate.commands.launch" in joined
    # `--cpu --num_processes 2` would start one process in accelerate 1.15.
    assert "--multi_gpu" in command and "--cpu" not in command
    assert command[command.index("--num_processes") + 1] == "2"
    assert command[-3:] == ["-m", "tunelint.runner.worker", str(tmp_path / "spec.json")]
