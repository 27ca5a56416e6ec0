"""QLoRA, DoRA, IA3, prefix tuning, full fine-tuning and multi-task adapters each train."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from runner_support import DATA, config, losses, train


def _finite(values: list[float]) -> bool:
    return bool(values) and all(math.isfinite(v) for v in values)


def _trainable(model: torch.nn.Module) -> set[str]:
    return {name for name, p in model.named_parameters() if p.requires_grad}


def test_qlora_loads_the_base_in_4bit_and_trains_lora(tmp_path: Path) -> None:
    import bitsandbytes as bnb

    result = train(tmp_path, config(tmp_path, peft={"kind": "qlora"}))
    assert _finite(losses(result))
    base = result.model.get_base_model()
    assert base.is_loaded_in_4bit
    four_bit = [m for m in base.modules() if isinstance(m, bnb.nn.Linear4bit)]
    assert four_bit, "no 4-bit linear layers"
    assert four_bit[0].weight.quant_type == "nf4"
    assert result.resolved["quantization"] == "4bit"
    assert all("lora_" in name for name in _trainable(result.model))


def test_dora_trains_magnitude_vectors(tmp_path: Path) -> None:
    result = train(tmp_path, config(tmp_path, peft={"kind": "dora"}))
    assert _finite(losses(result))
    assert any("lora_magnitude_vector" in n for n in _trainable(result.model))
    config_file = json.loads((result.output_dir / "adapter_config.json").read_text())
    assert config_file["use_dora"] is True


def test_ia3_trains_only_scaling_vectors(tmp_path: Path) -> None:
    result = train(tmp_path, config(tmp_path, peft={"kind": "ia3"}))
    assert _finite(losses(result))
    trainable = _trainable(result.model)
    assert trainable and all("ia3_l" in name for name in trainable)
    assert json.loads((result.output_dir / "adapter_config.json").read_text())["peft_type"] == "IA3"


def test_prefix_tuning_turns_gradient_checkpointing_off(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        peft={"kind": "prefix-tuning", "num_virtual_tokens": 4},
        training={"gradient_checkpointing": True},
    )
    result = train(tmp_path, cfg)
    assert _finite(losses(result))
    args = result.trainer.args
    assert args.gradient_checkpointing is False
    assert args.activation_checkpointing is False
    assert any("prefix tuning does not support" in m for m in result.resolved["messages"])
    assert all("prompt_encoder" in name for name in _trainable(result.model))


def test_full_fine_tuning_updates_every_weight(tmp_path: Path, tiny_model: Path) -> None:
    from safetensors.torch import load_file

    result = train(tmp_path, config(tmp_path, peft={"kind": "full"}))
    assert _finite(losses(result))
    before = load_file(str(tiny_model / "model.safetensors"))
    after = load_file(str(result.output_dir / "model.safetensors"))
    assert before.keys() == after.keys()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    assert len(changed) == len(before)
    assert not (result.output_dir / "adapter_config.json").exists()
    # fp32 master weights for full fine-tuning
    assert result.resolved["precision"]["weights_dtype"] == "torch.float32"


def test_multitask_adapters_one_per_task_switchable(tmp_path: Path) -> None:
    from tunelint.runner.multitask import load_multitask_model

    cfg = config(
        tmp_path,
        intent={"tasks": 2},
        peft={"kind": "adapters", "task_names": ["math", "geography"]},
        training={"max_steps": 4, "learning_rate": 1e-2},
        data={"train": str(DATA / "multitask_chat.jsonl"), "format": "chat"},
    )
    result = train(tmp_path, cfg)
    out = result.output_dir
    for task in ("math", "geography"):
        assert (out / "adapters" / task / "adapter_model.safetensors").is_file()
        assert _finite([e["loss"] for e in json.loads((out / "metrics.json").read_text())
                        ["log_history"][task] if "loss" in e])  # fmt: skip
    assert json.loads((out / "multitask.json").read_text())["tasks"] == ["math", "geography"]
    assert (out / "loss_curve.png").is_file()

    # Shared base, both adapters loaded by name, switchable.
    model = load_multitask_model(out, attn_implementation="eager")
    assert set(model.peft_config) == {"math", "geography"}
    ids = torch.tensor([[5, 17, 42, 99, 7, 3]])
    outputs = {}
    with torch.no_grad():
        for task in ("math", "geography"):
            model.set_adapter(task)
            assert model.active_adapter == task
            outputs[task] = model(input_ids=ids).logits
        with model.disable_adapter():
            base_logits = model(input_ids=ids).logits
    assert not torch.allclose(outputs["math"], outputs["geography"])
    assert not torch.allclose(outputs["math"], base_logits)


def test_multitask_resume_skips_finished_tasks(tmp_path: Path) -> None:
    from transformers import TrainerCallback

    class StopInSecondTask(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, args: object, state: object, control: object, **kw: object) -> None:
            if "geography" in str(getattr(args, "output_dir", "")) and state.global_step == 3:
                raise KeyboardInterrupt("simulated kill")

    cfg = config(
        tmp_path,
        peft={"kind": "adapters", "task_names": ["math", "geography"]},
        training={"max_steps": 4, "save_steps": 2},
        data={"train": str(DATA / "multitask_chat.jsonl"), "format": "chat"},
    )
    with pytest.raises(KeyboardInterrupt):
        train(tmp_path, cfg, callbacks=[StopInSecondTask()])
    out = tmp_path / "out"
    assert (out / "adapters" / "math" / "adapter_config.json").is_file()
    assert (out / "adapters" / "geography" / "checkpoint-2").is_dir()
    assert not (out / "adapters" / "geography" / "adapter_config.json").exists()

    resumed = train(tmp_path, cfg, resume=True)
    assert any("task math: adapter already trained" in m for m in resumed.resolved["messages"])
    assert resumed.trainer.state.global_step == 4
    assert (out / "adapters" / "geography" / "adapter_config.json").is_file()
