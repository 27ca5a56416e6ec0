"""SFT actually learns, and what it saves reloads into a model that generates."""

from __future__ import annotations

import json
import statistics

import pytest
import torch
from runner_support import config, losses, train

from tunelint.runner.session import RunResult


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    tmp_path = tmp_path_factory.mktemp("sft30")
    cfg = config(
        tmp_path,
        training={"max_steps": 30, "learning_rate": 3e-3, "logging_steps": 1},
        output={"dir": str(tmp_path / "out"), "report_to": ["tensorboard"]},
    )
    return train(tmp_path, cfg)


def test_loss_decreases_over_30_steps(sft_run: RunResult) -> None:
    values = losses(sft_run)
    assert len(values) == 30
    first, last = statistics.mean(values[:5]), statistics.mean(values[-5:])
    assert last < first * 0.9, (first, last)


def test_outputs_are_complete(sft_run: RunResult) -> None:
    out = sft_run.output_dir
    for name in (
        "adapter_model.safetensors",
        "adapter_config.json",
        "tokenizer.json",
        "chat_template.jinja",
        "tunelint_config.yaml",
        "run_info.json",
        "metrics.json",
        "loss_curve.png",
    ):
        assert (out / name).is_file(), name
    assert (out / "loss_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads((out / "metrics.json").read_text())
    assert len([e for e in metrics["log_history"] if "loss" in e]) == 30
    assert metrics["metrics"]["train_loss"] > 0
    info = json.loads((out / "run_info.json").read_text())
    assert info["versions"]["trl"].startswith("1.")
    assert info["resolved"]["trainer_args"]["bf16"] is False
    # TensorBoard through report_to: event files under the output folder.
    assert list(out.rglob("events.out.tfevents.*"))
    # The resolved config is a valid Plan again, defaults filled in.
    import yaml

    from tunelint.config.plan import Plan

    plan = Plan.model_validate(yaml.safe_load((out / "tunelint_config.yaml").read_text()))
    assert plan.training.max_steps == 30
    assert plan.training.lr_scheduler == "cosine"


def test_saved_adapter_reloads_and_generates(sft_run: RunResult) -> None:
    from peft import AutoPeftModelForCausalLM
    from transformers import AutoTokenizer

    out = sft_run.output_dir
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoPeftModelForCausalLM.from_pretrained(out, attn_implementation="eager")
    model.eval()
    # The reloaded adapter is the trained one, not a fresh zero-initialised adapter.
    trained = dict(sft_run.model.named_parameters())
    for name, param in model.named_parameters():
        if "lora_B" in name:
            assert torch.allclose(param, trained[name].detach().cpu())
            assert param.abs().sum() > 0
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        generated = model.generate(**inputs, max_new_tokens=12, do_sample=False)
    new_tokens = generated[0, inputs["input_ids"].shape[1] :]
    assert len(new_tokens) > 0
    text = tokenizer.decode(new_tokens, skip_special_tokens=True)
    assert text.strip(), "generated only special tokens"
