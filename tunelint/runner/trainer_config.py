"""Plan -> the TRL config object of its method, with every default that matters set.

TRL configs carry opinions (`bf16=True` and `gradient_checkpointing=True` by default in
TRL 1.x; transformers 5 renamed gradient checkpointing to activation checkpointing and
mirrors the old name). The runner never inherits them: each field below comes from the
Plan or from a decision written here, and `resolved_settings` reports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.runner.errors import UnsupportedPlanError

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.runner.precision import PrecisionChoice

PPO_MESSAGE = (
    "method.kind: ppo cannot run: PPO was removed from TRL (>= 1.13). Run RLHF as online RL "
    "against your reward model instead: set method.kind: grpo (or rloo) and "
    "method.reward_model to the reward model (train one with method.kind: reward)."
)

# Checkpoint every N optimizer steps when the Plan does not say.
DEFAULT_SAVE_STEPS = 500
# Keep the last few checkpoints: enough to resume, not enough to fill a disk.
SAVE_TOTAL_LIMIT = 3
DEFAULT_NUM_GENERATIONS = 8


@dataclass
class TrainerSettings:
    """Keyword arguments for the TRL config, plus notes on decisions made for the user."""

    method: str
    config_class: str  # e.g. "trl.SFTConfig"
    kwargs: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def config_class_for(method: str) -> Any:
    """The TRL config class of a method (ORPO lives in trl.experimental in TRL 1.x)."""
    if method == "ppo":
        raise UnsupportedPlanError(PPO_MESSAGE)
    import trl

    if method == "orpo":
        from trl.experimental.orpo import ORPOConfig

        return ORPOConfig
    classes = {
        "sft": trl.SFTConfig,
        "dpo": trl.DPOConfig,
        "kto": trl.KTOConfig,
        "reward": trl.RewardConfig,
        "grpo": trl.GRPOConfig,
        "rloo": trl.RLOOConfig,
    }
    if method not in classes:
        raise UnsupportedPlanError(f"method.kind {method} is not supported by the runner")
    return classes[method]


def _gradient_checkpointing(plan: Plan, notes: list[str]) -> bool:
    wanted = plan.training.gradient_checkpointing
    if plan.peft.kind == "prefix-tuning" and wanted:
        # PEFT prefix tuning feeds past_key_values; checkpointed layers recompute without
        # them and the backward pass breaks.
        notes.append("gradient checkpointing turned off: prefix tuning does not support it")
        return False
    return wanted


def _report_to(plan: Plan) -> list[str] | str:
    trackers = [t for t in plan.output.report_to if t != "none"]
    return trackers or "none"


def _distributed_kwargs(plan: Plan, notes: list[str]) -> dict[str, Any]:
    kind = plan.hardware.distributed
    if kind in ("none", "ddp"):
        return {}
    if kind == "fsdp":
        options = "full_shard auto_wrap" + (" offload" if plan.hardware.cpu_offload else "")
        return {"fsdp": options, "fsdp_config": {"use_orig_params": plan.peft.kind != "full"}}
    stage = int(kind[-1])
    if plan.hardware.deepspeed_config:
        return {"deepspeed": plan.hardware.deepspeed_config}
    zero: dict[str, Any] = {"stage": stage}
    if plan.hardware.cpu_offload:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": True}
        if stage == 3:
            zero["offload_param"] = {"device": "cpu", "pin_memory": True}
    notes.append(f"DeepSpeed ZeRO-{stage} config generated from hardware.distributed")
    # "auto" lets the HF integration fill batch sizes, precision and clipping from the args,
    # so the DeepSpeed config cannot disagree with the trainer's.
    return {
        "deepspeed": {
            "zero_optimization": zero,
            "bf16": {"enabled": "auto"},
            "fp16": {"enabled": "auto"},
            "train_micro_batch_size_per_gpu": "auto",
            "train_batch_size": "auto",
            "gradient_accumulation_steps": "auto",
            "gradient_clipping": "auto",
        }
    }


def _rl_kwargs(plan: Plan, num_processes: int, notes: list[str]) -> dict[str, Any]:
    micro = plan.training.micro_batch_size
    accumulation = plan.training.gradient_accumulation_steps
    generations = plan.method.num_generations or DEFAULT_NUM_GENERATIONS
    if generations < 2:
        raise UnsupportedPlanError(
            "method.num_generations must be at least 2 for grpo/rloo (advantages compare "
            "completions of the same prompt)"
        )
    kwargs: dict[str, Any] = {
        "num_generations": generations,
        # No Plan field for it: half the sequence budget, within TRL's default of 512.
        "max_completion_length": min(512, max(plan.model.max_seq_len // 2, 1)),
        "use_vllm": False,
        "remove_unused_columns": False,  # extra columns reach reward functions
    }
    global_batch = micro * num_processes
    if (global_batch * accumulation) % generations != 0:
        generation_batch = global_batch * generations // math.gcd(global_batch, generations)
        kwargs["generation_batch_size"] = generation_batch
        notes.append(
            f"generation_batch_size set to {generation_batch}: the batch must hold whole groups "
            f"of {generations} completions per prompt"
        )
    if plan.method.beta is not None:
        kwargs["beta"] = plan.method.beta
    return kwargs


def build_trainer_settings(
    plan: Plan,
    precision: PrecisionChoice,
    output_dir: Path,
    *,
    max_steps: int | None = None,
    num_processes: int = 1,
    has_eval: bool = False,
) -> TrainerSettings:
    """Every TRL/transformers argument the run uses, derived from the Plan."""
    method = plan.method.kind
    config_class = config_class_for(method)
    notes: list[str] = []
    training = plan.training
    checkpointing = _gradient_checkpointing(plan, notes)
    steps = max_steps if max_steps is not None else training.max_steps
    warmup: float = 0
    if training.warmup_steps is not None:
        warmup = training.warmup_steps
    elif training.warmup_ratio is not None:
        warmup = training.warmup_ratio  # transformers 5: a float < 1 is a ratio
    kwargs: dict[str, Any] = {
        "output_dir": str(output_dir),
        "num_train_epochs": training.epochs,
        "max_steps": steps if steps is not None else -1,
        "per_device_train_batch_size": training.micro_batch_size,
        "per_device_eval_batch_size": training.micro_batch_size,
        "gradient_accumulation_steps": training.gradient_accumulation_steps,
        "learning_rate": training.learning_rate,
        "lr_scheduler_type": training.lr_scheduler,
        "warmup_steps": warmup,
        "weight_decay": training.weight_decay,
        "max_grad_norm": training.max_grad_norm,
        "optim": training.optimizer,
        "seed": training.seed,
        # Precision: both flags always explicit (TRL's default is bf16=True).
        "bf16": precision.bf16,
        "fp16": precision.fp16,
        "use_cpu": precision.use_cpu,
        # Checkpointing: transformers 5 name plus the TRL-read alias (TRL defaults it True).
        "activation_checkpointing": checkpointing,
        "gradient_checkpointing": checkpointing,
        "logging_strategy": "steps",
        "logging_steps": training.logging_steps,
        "logging_first_step": True,
        "disable_tqdm": False,
        "report_to": _report_to(plan),
        "save_strategy": "steps",
        "save_steps": training.save_steps or DEFAULT_SAVE_STEPS,
        "save_total_limit": SAVE_TOTAL_LIMIT,
        "eval_strategy": "epoch" if has_eval else "no",
        "dataloader_num_workers": 0,
    }
    if plan.peft.kind != "full" and num_processes > 1:
        # Frozen base weights never get gradients; DDP's unused-parameter scan only costs.
        kwargs["ddp_find_unused_parameters"] = False
    kwargs.update(_distributed_kwargs(plan, notes))

    max_length = plan.model.max_seq_len
    if method == "sft":
        kwargs.update(
            max_length=max_length,
            packing=training.sample_packing,
            dataset_text_field="text",
            assistant_only_loss=False,
        )
    elif method in ("dpo", "kto"):
        kwargs.update(
            max_length=max_length, precompute_ref_log_probs=plan.method.precompute_ref_log_probs
        )
        if plan.method.beta is not None:
            kwargs["beta"] = plan.method.beta
    elif method == "orpo":
        kwargs["max_length"] = max_length
        if plan.method.beta is not None:
            kwargs["beta"] = plan.method.beta
    elif method == "reward":
        kwargs["max_length"] = max_length
    elif method in ("grpo", "rloo"):
        kwargs.update(_rl_kwargs(plan, num_processes, notes))
    if training.sample_packing and method != "sft":
        notes.append(f"training.sample_packing ignored: {method} does not pack samples")
    return TrainerSettings(
        method=method,
        config_class=f"{config_class.__module__}.{config_class.__qualname__}",
        kwargs=kwargs,
        notes=notes,
    )


def build_trainer_config(settings: TrainerSettings) -> Any:
    """Instantiate the TRL config class with the settings."""
    return config_class_for(settings.method)(**settings.kwargs)
