"""The Plan's value vocabulary without pydantic: the Literal types of its fields, the method
families, and the few computations the Plan's classes share with the validated objects the
lint path builds (tunelint.config.plan_objects). tunelint.config.plan declares the Plan with
these; modules on the lint path import them from here so that `tunelint check` does not
import pydantic."""

from __future__ import annotations

from typing import Literal

MethodKind = Literal["sft", "dpo", "orpo", "kto", "reward", "ppo", "grpo", "rloo"]
PeftKind = Literal["lora", "qlora", "dora", "ia3", "prefix-tuning", "adapters", "full"]
Precision = Literal["bf16", "fp16", "fp32"]
Distributed = Literal[
    "none", "ddp", "fsdp", "deepspeed-zero1", "deepspeed-zero2", "deepspeed-zero3"
]
Optimizer = Literal[
    "adamw_torch",
    "adamw_torch_fused",
    "adamw_8bit",
    "paged_adamw_8bit",
    "paged_adamw_32bit",
    "adafactor",
    "sgd",
]
DataFormat = Literal["text", "prompt-completion", "chat", "preference", "unpaired-preference"]
Goal = Literal["new-capability", "improve-existing"]
Priority = Literal["quality", "inference-speed", "memory", "time", "prompt-strengthening"]
Quantization = Literal["none", "4bit", "8bit"]
Attention = Literal["eager", "sdpa", "flash_attention_2", "flash_attention_3"]
VllmMode = Literal["none", "colocate", "server"]

# RLHF as the source article means it: a reward model plus online RL of the policy.
RLHF_METHODS: frozenset[str] = frozenset({"ppo", "grpo", "rloo"})
PREFERENCE_METHODS: frozenset[str] = frozenset({"dpo", "orpo", "kto", "reward"})


def gpu_as_text(value: object) -> object:
    """`hardware.gpu` before validation: `gpu: 4090` is read as a number by YAML; it is
    still a name."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def effective_quantization(quantization: str | None, peft_kind: str) -> str:
    """The base weights' quantization: `model.quantization` as written, else 4bit for
    QLoRA, else none."""
    if quantization is not None:
        return quantization
    return "4bit" if peft_kind == "qlora" else "none"
