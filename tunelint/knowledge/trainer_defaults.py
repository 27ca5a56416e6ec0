"""Defaults of the trainers tunelint reads and runs, in one place.

Read from TRL 1.16.0 (`trl/trainer/*_config.py`, `trl/trainer/base_config.py`); a value here
applies when a config leaves the setting out. The dialects fill Plan fields from it, the
runner builds trainer configs from it and the estimator prices what a default loads.
"""

from __future__ import annotations

from typing import Final

TRL_VERSION: Final = "1.16.0"

# DPOConfig/KTOConfig/RLOOConfig `beta`, GRPOConfig `beta=0.0` (no reference model loaded).
# PPO left TRL in 1.13; 0.05 is the last PPOConfig's `kl_coef`.
BETA: Final[dict[str, float]] = {"grpo": 0.0, "rloo": 0.05, "dpo": 0.1, "kto": 0.1, "ppo": 0.05}

# GRPOConfig.num_generations / RLOOConfig.num_generations.
NUM_GENERATIONS: Final[dict[str, int]] = {"grpo": 8, "rloo": 2}

# GRPOConfig / RLOOConfig `max_completion_length`.
MAX_COMPLETION_LENGTH: Final = 512

# SFTConfig / DPOConfig / KTOConfig / RewardConfig `max_length`.
MAX_LENGTH: Final = 1024

# `learning_rate` of each config class; the rest (DPO, KTO, GRPO, RLOO) use 1e-6.
LEARNING_RATE: Final[dict[str, float]] = {"sft": 2e-5, "reward": 1e-4}
LEARNING_RATE_OTHERS: Final = 1e-6

# base_config.py: `gradient_checkpointing=True`; `bf16` turns on unless `fp16` is set.
GRADIENT_CHECKPOINTING: Final = True
BF16_UNLESS_FP16: Final = True

# GRPOConfig / RLOOConfig `vllm_gpu_memory_utilization` (colocated vLLM's share of the GPU).
VLLM_GPU_MEMORY_UTILIZATION: Final = 0.3


def learning_rate(method: str) -> float:
    """The learning rate TRL's config class for `method` defaults to."""
    return LEARNING_RATE.get(method, LEARNING_RATE_OTHERS)
