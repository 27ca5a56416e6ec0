"""Training-data and hyper-parameter hygiene: benchmark test splits in the training mixture,
learning rates far outside the usual range, long DPO runs, oversized evaluation splits."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import tomllib

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, TRAINING_RUN, RuleDocs
from tunelint.config.plan_values import PREFERENCE_METHODS, RLHF_METHODS

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

SOURCE = "training practice (cited per rule)"
DATA = Path(__file__).parent / "data"
LR = ("training", "learning_rate")
MAX_DPO_EPOCHS = 3
MAX_EVAL_SHARE = 1 / 3


@cache
def benchmarks() -> dict[str, list[str]]:
    return tomllib.loads((DATA / "benchmarks.toml").read_text(encoding="utf-8"))["benchmark"]


@cache
def lr_ranges() -> tuple[float, dict[str, tuple[float, float]]]:
    data = tomllib.loads((DATA / "lr_ranges.toml").read_text(encoding="utf-8"))
    ranges = {name: (row["low"], row["high"]) for name, row in data["range"].items()}
    return float(data["factor"]), ranges


@rule(
    code="TL524",
    name="benchmark-test-split",
    severity="warning",
    applies_to=TRAINING,
    source=SOURCE,
    summary="A benchmark's evaluation split in the training data",
    docs=RuleDocs(
        what="A training dataset that is a known evaluation benchmark (gsm8k, MMLU, HumanEval, "
        "MATH, GPQA...; tunelint/checks/rules/data/benchmarks.toml) taken at the split its "
        "results are reported on (`split: test`, TRL `dataset_train_split: test`...).",
        why="Training on the split a benchmark is scored on makes its score meaningless "
        "(contamination): the model has seen the answers. It usually comes from copying an "
        "evaluation config or a dataset card snippet.",
        example="datasets:\n  - path: openai/gsm8k\n    name: main\n    split: test",
        fix="Train on the benchmark's train split (or other data), and keep the test split "
        "for evaluation.",
        fix_safety="No automatic fix: which data to train on is the user's choice.",
        references=(
            "https://github.com/embeddings-benchmark/mteb/issues/1036",
            "https://github.com/openai/parameter-golf/issues/2127",
        ),
    ),
)
def benchmark_test_split(plan: Plan, ctx: Context) -> Iterator[Finding]:
    table = benchmarks()
    for item in ctx.facts.train_splits:
        short = item.name.rstrip("/").rsplit("/", 1)[-1].lower()
        held_out = table.get(short, [])
        if item.split.lower() in held_out:
            yield Finding(
                f"`{item.name}` split `{item.split}` is the split its benchmark is scored on: "
                "training on it contaminates that score",
                item.ref.path,
                file=item.ref.file,
            )


def _lr_family(plan: Plan) -> str:
    adapter = "full" if plan.peft.kind == "full" else "lora"
    if plan.method.kind in RLHF_METHODS:
        return f"{adapter}-rl"
    if plan.method.kind in PREFERENCE_METHODS and plan.method.kind != "reward":
        return f"{adapter}-preference"
    return f"{adapter}-sft"


@rule(
    code="TL525",
    name="learning-rate-range",
    severity="info",
    applies_to=TRAINING_RUN,
    source=SOURCE,
    summary="A learning rate far outside the usual range for the method and adapter",
    docs=RuleDocs(
        what="A learning rate written in the config, with an Adam-family optimizer and a "
        "method tunelint knows, that is more than 10x below or above the "
        "usual range for its method x adapter (tunelint/checks/rules/data/lr_ranges.toml): "
        "LoRA/QLoRA SFT ~1e-5 to 5e-4, full SFT ~2e-6 to 5e-5, full DPO ~2e-7 to 5e-6, LoRA "
        "DPO ~1e-6 to 5e-5, GRPO/PPO ~1e-7 to 5e-6 (full) / 1e-6 to 5e-5 (LoRA).",
        why="Adapters need about ten times the full fine-tuning rate, and preference or RL "
        "training one to two orders less than SFT (LoRA and QLoRA papers: 1e-4 to 2e-4 for "
        "adapters; Zephyr: SFT 2e-5, DPO 5e-7; Tulu 3: SFT 5e-6, DPO 5e-7; DeepSeekMath: GRPO "
        "1e-6). A rate copied across methods either does nothing or makes the loss diverge "
        "within a few hundred steps.",
        example="rl: dpo\nadapter:\nlearning_rate: 2.0e-4  # an SFT LoRA rate on full DPO",
        fix="Start inside the usual range and sweep around it.",
        fix_safety="No automatic fix: the rate is a tuning choice.",
        references=(
            "https://github.com/haotian-liu/LLaVA/issues/1301",
            "https://github.com/haotian-liu/LLaVA/issues/918",
            "https://github.com/ssbuild/chatglm_finetuning/issues/28",
        ),
    ),
)
def learning_rate_range(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if LR not in ctx.facts.written:
        return  # the framework's default rate is its own advice
    if {("training", "optimizer"), ("method", "kind")} & ctx.facts.unmapped:
        return  # Muon, Lion or a method tunelint has no name for: other usual rates
    if plan.training.optimizer in ("sgd", "adafactor"):
        return  # the ranges are Adam's
    factor, ranges = lr_ranges()
    family = _lr_family(plan)
    low, high = ranges[family]
    rate = plan.training.learning_rate
    if low / factor <= rate <= high * factor:
        return
    side = "below" if rate < low else "above"
    yield Finding(
        f"learning rate {rate:g} is far {side} the usual {low:g}-{high:g} for "
        f"{family.replace('-', ' ')} (more than {factor:g}x outside)",
        LR,
    )


@rule(
    code="TL526",
    name="dpo-epochs",
    severity="info",
    applies_to=TRAINING_RUN,
    source=SOURCE,
    summary=f"DPO for more than {MAX_DPO_EPOCHS} epochs",
    docs=RuleDocs(
        what=f"DPO (or ORPO/KTO) with more than {MAX_DPO_EPOCHS} epochs.",
        why="Preference optimisation over-fits quickly: the loss goes to zero and the implicit "
        "reward margin keeps growing while the chosen responses' likelihood falls, and quality "
        "drops after 1-3 epochs (Zephyr trains DPO for 1-3 epochs, Tulu 3 for 1).",
        example="rl: dpo\nnum_epochs: 8",
        fix=f"Train {MAX_DPO_EPOCHS} epochs or fewer and watch the chosen log-probabilities.",
        fix_safety="No automatic fix.",
        references=("https://github.com/huggingface/trl/issues/1236",),
    ),
)
def dpo_epochs(plan: Plan, ctx: Context) -> Iterator[Finding]:
    kind = plan.method.kind
    epochs = plan.training.epochs
    if kind in ("dpo", "orpo", "kto") and epochs > MAX_DPO_EPOCHS and not plan.training.max_steps:
        yield Finding(
            f"{kind} for {epochs:g} epochs: preference training usually peaks within "
            f"{MAX_DPO_EPOCHS} and then over-fits",
            ("training", "epochs"),
        )


@rule(
    code="TL527",
    name="eval-split-too-large",
    severity="warning",
    applies_to=TRAINING,
    source=SOURCE,
    summary="More than a third of the data held out for evaluation",
    docs=RuleDocs(
        what="A held-out share above one third (axolotl `val_set_size`, LLaMA-Factory "
        "`val_size` written as a fraction).",
        why="Every sample held out is one the model does not learn from; a few hundred "
        "samples (or 1-10%) measure the loss well. A third or more usually means a count and a "
        "fraction were confused (`val_set_size: 0.5` for 'half a percent').",
        example="val_set_size: 0.5",
        fix="Hold out 1-10% (or a fixed count of a few hundred samples).",
        fix_safety="No automatic fix.",
        references=(
            "https://github.com/quark0/darts/issues/34",
            "https://github.com/georgian-io/LLM-Finetuning-Toolkit/issues/119",
        ),
    ),
)
def eval_split_too_large(plan: Plan, ctx: Context) -> Iterator[Finding]:
    share = ctx.facts.eval_fraction
    if share is not None and share.fraction > MAX_EVAL_SHARE:
        yield Finding(
            f"{share.fraction:.0%} of the data is held out for evaluation and never trains",
            share.ref.path,
            file=share.ref.file,
        )
