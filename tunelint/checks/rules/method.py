"""RLHF vs DPO (source article §2 and §5: new capability -> RLHF; improving existing behaviour
-> DPO; weak GPU or short schedule -> DPO, no exceptions; RLHF from 80 GB)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, RuleDocs
from tunelint.config.plan_edits import SetValue

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

ARTICLE_METHOD = "article §2 (RLHF vs DPO)"
ARTICLE_VRAM = "article §5 (strategy by GPU memory)"
PATH = ("method", "kind")
RLHF_MIN_GB = 80  # article §5: "80 GB and more: RLHF becomes possible"
SHORT_SCHEDULE_DAYS = 14  # a reward model plus RL tuning rarely converges in under two weeks
WEAK_GPU_GB = 24  # below the article's 24-48 GB "DPO + LoRA" row


def is_rlhf(plan: Plan) -> bool:
    """RLHF as the article means it: online RL of the policy against a reward model."""
    kind = plan.method.kind
    return kind == "ppo" or (kind in ("grpo", "rloo") and plan.method.reward_model is not None)


def _rlhf_family(plan: Plan) -> bool:
    """RLHF or one of its stages (reward-model training, online RL)."""
    return plan.method.kind in ("ppo", "grpo", "rloo", "reward")


def _to_dpo(title: str = "Switch to DPO") -> Fix:
    return Fix(title, "unsafe", (SetValue(PATH, "dpo"),))


@rule(
    code="TL201",
    name="rlhf-under-80gb",
    severity="warning",
    applies_to=TRAINING,
    source=ARTICLE_VRAM,
    summary="RLHF on a GPU with less than 80 GB",
    fixable="always",
    needs_gpu=True,
    docs=RuleDocs(
        what="Online RL against a reward model (`ppo`, or `grpo`/`rloo` with "
        "`method.reward_model`) on a GPU with less than 80 GB.",
        why="RLHF keeps the policy, a reference model, the reward model (and for PPO a value "
        "model) in memory and generates samples every step. The source article puts it at "
        "80 GB and more; below that DPO reaches similar alignment from preference pairs with "
        "one model in memory.",
        example="method:\n  kind: grpo\n  reward_model: my-org/rm-7b\nhardware:\n  gpu: A10G",
        fix="Set `method.kind: dpo` and train on prompt/chosen/rejected pairs.",
        fix_safety="Unsafe: a different algorithm needing preference data instead of prompts.",
    ),
)
def rlhf_under_80gb(plan: Plan, ctx: Context) -> Iterator[Finding]:
    gpu = ctx.gpu
    if gpu is not None and is_rlhf(plan) and gpu.memory_gb < RLHF_MIN_GB:
        yield Finding(
            f"RLHF ({plan.method.kind} with a reward model) on {gpu.name} "
            f"({gpu.memory_gb:g} GB < {RLHF_MIN_GB} GB): DPO fits this GPU",
            PATH,
            _to_dpo(),
        )


@rule(
    code="TL202",
    name="rlhf-for-improvement",
    severity="warning",
    applies_to=TRAINING,
    source=ARTICLE_METHOD,
    summary="RLHF chosen to improve existing behaviour",
    fixable="always",
    docs=RuleDocs(
        what="`intent.goal: improve-existing` with an RLHF method.",
        why="Making outputs more consistent or a style steadier is what DPO is for: it learns "
        "directly from preferred/rejected pairs, with no reward model and no RL loop. RLHF "
        "explores, and pays for it in data, GPUs and tuning; it is for new capabilities.",
        example="intent:\n  goal: improve-existing\nmethod:\n  kind: ppo",
        fix="Set `method.kind: dpo`.",
        fix_safety="Unsafe: a different algorithm needing preference pairs.",
    ),
)
def rlhf_for_improvement(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.intent.goal == "improve-existing" and is_rlhf(plan):
        yield Finding(
            "improving existing behaviour is DPO's job; RLHF is for new capabilities",
            PATH,
            _to_dpo(),
        )


@rule(
    code="TL203",
    name="dpo-for-new-capability",
    severity="info",
    applies_to=TRAINING,
    source=ARTICLE_METHOD,
    summary="DPO chosen for a new capability",
    docs=RuleDocs(
        what="`intent.goal: new-capability` with `method.kind: dpo`.",
        why="DPO sharpens preferences among behaviours the model already has. Giving it a "
        "genuinely new ability (a new judgement, a changed behaviour policy at the root) is "
        "where the source article sends you to RLHF — if the GPU (80 GB+) and schedule allow.",
        example="intent:\n  goal: new-capability\nmethod:\n  kind: dpo",
        fix="None automatic: consider SFT on demonstrations first, or RLHF (`grpo`/`rloo` with "
        "a reward model) on a large GPU.",
        fix_safety="No fix.",
    ),
)
def dpo_for_new_capability(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.intent.goal == "new-capability" and plan.method.kind == "dpo":
        yield Finding(
            "DPO refines existing behaviour; a new capability usually needs SFT data or RLHF",
            PATH,
        )


@rule(
    code="TL204",
    name="short-schedule-not-dpo",
    severity="warning",
    applies_to=TRAINING,
    source=ARTICLE_METHOD,
    summary="RLHF-style training on a short schedule or a weak GPU",
    fixable="always",
    docs=RuleDocs(
        what=f"Reward-model training or online RL with `intent.schedule_days` under "
        f"{SHORT_SCHEDULE_DAYS}, or on a GPU under {WEAK_GPU_GB} GB.",
        why="Training a reward model and then tuning an RL loop takes iterations; with little "
        "time or a small GPU the source article's answer is DPO, no exceptions.",
        example="intent:\n  schedule_days: 5\nmethod:\n  kind: reward",
        fix="Set `method.kind: dpo`.",
        fix_safety="Unsafe: a different algorithm needing preference pairs.",
    ),
)
def short_schedule_not_dpo(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if not _rlhf_family(plan):
        return
    days = plan.intent.schedule_days
    if days is not None and days < SHORT_SCHEDULE_DAYS:
        yield Finding(
            f"a {days:g}-day schedule leaves no room for reward modelling and RL tuning: use DPO",
            PATH,
            _to_dpo(),
        )
    elif ctx.gpu is not None and ctx.gpu.memory_gb < WEAK_GPU_GB and not is_rlhf(plan):
        # is_rlhf on a small GPU is TL201's finding already
        yield Finding(
            f"{plan.method.kind} on {ctx.gpu.name} ({ctx.gpu.memory_gb:g} GB): on a small GPU, "
            "DPO is the practical way to align",
            PATH,
            _to_dpo(),
        )
