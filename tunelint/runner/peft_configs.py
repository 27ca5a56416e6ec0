"""`plan.peft` -> a PEFT config object (or None for full fine-tuning)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tunelint.runner.errors import UnsupportedPlanError

if TYPE_CHECKING:
    from peft import PeftConfig

    from tunelint.config.plan import Plan

# Methods that do not work with a given PEFT kind, and why.
PREFIX_TUNING_UNSUPPORTED = {
    "reward": "prefix tuning has no classification head to train for a reward model",
}


def task_type_for(method: str) -> str:
    """PEFT task type: the reward model is a sequence classifier, everything else a causal LM."""
    return "SEQ_CLS" if method == "reward" else "CAUSAL_LM"


def _target_modules(plan: Plan) -> str | list[str]:
    target = plan.peft.target_modules
    return list(target) if isinstance(target, list) else target


def lora_config(plan: Plan, *, use_dora: bool = False) -> PeftConfig:
    """LoRA (also the adapter of QLoRA, DoRA and each multi-task adapter)."""
    from peft import LoraConfig

    return LoraConfig(
        r=plan.peft.r,
        lora_alpha=plan.peft.alpha,
        lora_dropout=plan.peft.dropout,
        target_modules=_target_modules(plan),
        bias="none",
        use_dora=use_dora,
        task_type=task_type_for(plan.method.kind),
    )


def build_peft_config(plan: Plan) -> PeftConfig | None:
    """The PEFT config for one adapter of this Plan; None means full fine-tuning."""
    kind = plan.peft.kind
    method = plan.method.kind
    if kind == "full":
        return None
    if kind in ("lora", "qlora", "adapters"):
        return lora_config(plan)
    if kind == "dora":
        return lora_config(plan, use_dora=True)
    if kind == "ia3":
        from peft import IA3Config

        target = plan.peft.target_modules
        # IA3 scales keys, values and the feed-forward input; PEFT knows which modules those
        # are per architecture. `all-linear` would make every layer "feed-forward".
        if target == "all-linear":
            return IA3Config(task_type=task_type_for(method))
        return IA3Config(
            target_modules=list(target) if isinstance(target, list) else [target],
            feedforward_modules=[],
            task_type=task_type_for(method),
        )
    if kind == "prefix-tuning":
        if method in PREFIX_TUNING_UNSUPPORTED:
            raise UnsupportedPlanError(
                f"peft.kind prefix-tuning with method.kind {method}: "
                f"{PREFIX_TUNING_UNSUPPORTED[method]}; use lora"
            )
        from peft import PrefixTuningConfig

        return PrefixTuningConfig(
            num_virtual_tokens=plan.peft.num_virtual_tokens, task_type=task_type_for(method)
        )
    raise UnsupportedPlanError(f"peft.kind {kind} is not supported by the runner")


def task_names(plan: Plan) -> list[str] | None:
    """Adapter names for a multi-task run (`peft.kind: adapters`), else None."""
    if plan.peft.kind != "adapters":
        return None
    if plan.peft.task_names:
        return list(plan.peft.task_names)
    return [f"task-{i}" for i in range(1, max(plan.intent.tasks, 1) + 1)]
