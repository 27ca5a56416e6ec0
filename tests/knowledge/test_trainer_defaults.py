"""knowledge/trainer_defaults.py against the config classes of the TRL it names (read from
the dataclass fields, not instantiated). Needs the [train] extra."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tunelint.knowledge import trainer_defaults as D

pytestmark = pytest.mark.train

trl = pytest.importorskip("trl")


def _default(cls: type, name: str) -> Any:
    field = next(f for f in dataclasses.fields(cls) if f.name == name)
    return field.default


def test_pinned_version() -> None:
    assert trl.__version__ == D.TRL_VERSION


def test_method_defaults_match_trl() -> None:
    classes = {
        "sft": trl.SFTConfig,
        "dpo": trl.DPOConfig,
        "kto": trl.KTOConfig,
        "reward": trl.RewardConfig,
        "grpo": trl.GRPOConfig,
        "rloo": trl.RLOOConfig,
    }
    checked = 0
    for method, cls in classes.items():
        assert _default(cls, "learning_rate") == D.learning_rate(method), method
        assert _default(cls, "gradient_checkpointing") is D.GRADIENT_CHECKPOINTING
        if method in D.BETA:
            assert _default(cls, "beta") == D.BETA[method], method
        if method in D.NUM_GENERATIONS:
            assert _default(cls, "num_generations") == D.NUM_GENERATIONS[method]
            assert _default(cls, "max_completion_length") == D.MAX_COMPLETION_LENGTH
            util = _default(cls, "vllm_gpu_memory_utilization")
            assert util == D.VLLM_GPU_MEMORY_UTILIZATION
        else:
            assert _default(cls, "max_length") == D.MAX_LENGTH, method
        checked += 1
    assert checked == len(classes)
    # bf16 is left unset and turned on in __post_init__ unless fp16 is set.
    assert _default(trl.SFTConfig, "bf16") is None and D.BF16_UNLESS_FP16
