"""Build the TRL trainer of a method from a loaded model, data and config.

| method   | TRL 1.16 trainer                 | reference / reward                            |
|----------|----------------------------------|-----------------------------------------------|
| sft      | `trl.SFTTrainer`                 | -                                             |
| dpo      | `trl.DPOTrainer`                 | PEFT: the base with the adapter disabled;     |
|          |                                  | full: a frozen copy loaded by TRL             |
| orpo     | `trl.experimental.orpo.ORPOTrainer` | none (ORPO is reference-free)              |
| kto      | `trl.KTOTrainer`                 | as DPO                                        |
| reward   | `trl.RewardTrainer`              | - (trains a 1-label sequence classifier)      |
| grpo     | `trl.GRPOTrainer`                | reward model and/or reward functions          |
| rloo     | `trl.RLOOTrainer`                | reward model and/or reward functions          |
| ppo      | refused: removed from TRL >= 1.13; use grpo/rloo with a reward model |       |
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import UnsupportedPlanError
from tunelint.runner.trainer_config import PPO_MESSAGE

if TYPE_CHECKING:
    from datasets import Dataset

TRAINER_NAMES = {
    "sft": "trl.SFTTrainer",
    "dpo": "trl.DPOTrainer",
    "orpo": "trl.experimental.orpo.ORPOTrainer",
    "kto": "trl.KTOTrainer",
    "reward": "trl.RewardTrainer",
    "grpo": "trl.GRPOTrainer",
    "rloo": "trl.RLOOTrainer",
}


def build_trainer(
    method: str,
    *,
    model: Any,
    tokenizer: Any,
    args: Any,
    train_dataset: Dataset,
    eval_dataset: Dataset | None,
    peft_config: Any | None,
    rewards: tuple[list[Any], list[Any]] | None = None,
    callbacks: list[Any] | None = None,
) -> Any:
    """The TRL trainer for `method`, with the model (PEFT applied by the trainer)."""
    common: dict[str, Any] = {
        "model": model,
        "args": args,
        "train_dataset": train_dataset,
        "eval_dataset": eval_dataset,
        "processing_class": tokenizer,
        "peft_config": peft_config,
        "callbacks": callbacks,
    }
    if method == "sft":
        from trl import SFTTrainer

        return SFTTrainer(**common)
    if method == "dpo":
        from trl import DPOTrainer

        # ref_model=None: with PEFT, TRL computes reference log-probs with the adapter
        # disabled (the frozen base), so no second model is held in memory.
        return DPOTrainer(ref_model=None, **common)
    if method == "kto":
        from trl import KTOTrainer

        return KTOTrainer(ref_model=None, **common)
    if method == "orpo":
        from trl.experimental.orpo import ORPOTrainer

        return ORPOTrainer(**common)
    if method == "reward":
        from trl import RewardTrainer

        return RewardTrainer(**common)
    if method in ("grpo", "rloo"):
        assert rewards is not None
        funcs, processing = rewards
        if method == "grpo":
            from trl import GRPOTrainer

            return GRPOTrainer(reward_funcs=funcs, reward_processing_classes=processing, **common)
        from trl import RLOOTrainer

        return RLOOTrainer(reward_funcs=funcs, reward_processing_classes=processing, **common)
    if method == "ppo":
        raise UnsupportedPlanError(PPO_MESSAGE)
    raise UnsupportedPlanError(f"method.kind {method} is not supported by the runner")
