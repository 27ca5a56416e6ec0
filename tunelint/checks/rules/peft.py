"""PEFT choice (source article §3: LoRA by default — "when in doubt, LoRA; the exceptions are
few"; the intent matrix: multi-task -> adapters, inference speed -> IA3, strengthening a prompt
-> prefix tuning, very little VRAM -> QLoRA)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, TRAINING_RUN, RuleDocs
from tunelint.config.plan_edits import SetValue

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

ARTICLE = "article §3 (PEFT choice matrix)"
KIND = ("peft", "kind")
TINY_VRAM_GB = 8  # article §5: 4-8 GB -> QLoRA
LORA_FAMILY = frozenset({"lora", "qlora", "dora"})


def intent_choice(plan: Plan, ctx: Context) -> tuple[str, str] | None:
    """The PEFT kind the intent matrix asks for, with the reason; None when LoRA is right."""
    if plan.intent.tasks > 1:
        return "adapters", f"{plan.intent.tasks} tasks share one model"
    if plan.intent.priority == "inference-speed":
        return "ia3", "inference speed matters most (IA3 adds no latency)"
    if plan.intent.priority == "prompt-strengthening":
        return "prefix-tuning", "the goal is to strengthen an existing prompt"
    if plan.intent.priority == "memory":
        return "qlora", "memory matters most"
    if ctx.gpu is not None and ctx.gpu.memory_gb <= TINY_VRAM_GB:
        return "qlora", f"{ctx.gpu.name} has only {ctx.gpu.memory_gb:g} GB"
    return None


SMALL_MODEL_PARAMS = (
    1.5e9  # below this, full fine-tuning fits where LoRA does: §3's memory case is weak
)
_RL_STAGES = {
    "reward": "reward-model training (a new scalar head trains in full)",
    "ppo": "a PPO stage",
    "grpo": "a GRPO stage",
    "rloo": "an RLOO stage",
}


def _stated_reason(plan: Plan, ctx: Context) -> str | None:
    """What the config itself states that explains training more than an adapter."""
    if plan.peft.reason:
        return plan.peft.reason
    if plan.method.kind in _RL_STAGES:
        return _RL_STAGES[plan.method.kind]
    if ctx.facts.partial:
        return f"only part of the model trains ({ctx.facts.partial})"
    if ctx.facts.full_reasons:
        return "; ".join(ctx.facts.full_reasons)
    return None


def _small_model_reason(spec: Any) -> str | None:
    params = spec.param_count() if spec is not None else None  # counted once: not cached
    if params is not None and params < SMALL_MODEL_PARAMS:
        return f"a small model ({params / 1e9:.2g}B parameters)"
    return None


def _model(plan: Plan, ctx: Context) -> Any:
    """The trained model's spec, or None when it cannot be resolved here."""
    from tunelint.knowledge.models import resolve_model  # the catalog loads on first use

    search = (ctx.file.parent,) if ctx.file is not None else ()
    return resolve_model(plan.model.name, search) if plan.model.name else None


@rule(
    code="TL301",
    name="full-finetune-without-reason",
    severity="warning",
    applies_to=TRAINING_RUN,
    may_assume=("the model's size",),
    source="article §3 (LoRA as the default)",
    summary="Full fine-tuning without a stated reason",
    fixable="always",
    docs=RuleDocs(
        what="`peft.kind: full` with no reason stated anywhere in the config. Reasons it "
        "reads: `peft.reason` (or a suppression comment); reward/PRM/value-model training and "
        "RL stages (ppo, grpo, rloo); partial training (LLaMA-Factory `finetuning_type: "
        "freeze`, BAdam, GaLore, APOLLO; axolotl `unfrozen_parameters`); continued "
        "pre-training (LLaMA-Factory `stage: pt`, axolotl `pretraining_dataset`); "
        "quantization-aware training (axolotl `qat`, a torchtune QAT `quantizer`); and models "
        f"under {SMALL_MODEL_PARAMS / 1e9:g}B parameters in the model catalog, where the "
        "article's memory argument for LoRA does not hold.",
        why="Full fine-tuning updates every weight: gradients and optimizer states for all "
        "parameters (~16 bytes each with AdamW), a full-size checkpoint per run, and more risk "
        "of forgetting. LoRA reaches similar quality for most tasks at a fraction of the cost.",
        example="peft:\n  kind: full",
        fix="Set `peft.kind: lora` (r 16, alpha 32, all linear layers by default) — or keep "
        "`full` and write `peft.reason`.",
        fix_safety="Unsafe: what trains changes; results and checkpoints differ.",
    ),
)
def full_finetune_without_reason(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.peft.kind != "full" or _stated_reason(plan, ctx) is not None:
        return
    spec = _model(plan, ctx)  # looked up once: the size is a reason, or an assumption
    if _small_model_reason(spec) is not None:
        return
    # A model tunelint cannot read may be one of the small ones the article's case skips.
    unknown = bool(plan.model.name) and spec is None
    size = (
        f"{plan.model.name} has {SMALL_MODEL_PARAMS / 1e9:g}B parameters or more (not known here)"
    )
    yield Finding(
        f"full fine-tuning of {plan.model.name or 'the model'} ({plan.method.kind}) with no "
        "reason in the config (no RL/reward stage, partial freezing, continued pre-training, "
        "QAT or small model): LoRA trains <1% of the weights for similar quality (or set "
        "peft.reason)",
        KIND,
        Fix("Use LoRA", "unsafe", (SetValue(KIND, "lora"),)),
        assumed=(size,) if unknown else (),
    )


@rule(
    code="TL302",
    name="non-lora-without-reason",
    severity="warning",
    applies_to=TRAINING,
    source="article §3 (LoRA as the default)",
    summary="A non-LoRA PEFT method without a stated reason",
    fixable="always",
    docs=RuleDocs(
        what="`peft.kind` of `ia3`, `prefix-tuning` or `adapters` with no `peft.reason` and "
        "no intent that calls for it (TL303's matrix).",
        why="LoRA is the de-facto default: few trainable parameters, compatible with ordinary "
        "training, optimised for most models. The other methods are right in specific cases; "
        "say which one applies.",
        example="peft:\n  kind: ia3",
        fix="Set `peft.kind: lora`, or state the reason (`peft.reason`, or `intent.priority` / "
        "`intent.tasks`).",
        fix_safety="Unsafe: what trains changes.",
    ),
)
def non_lora_without_reason(plan: Plan, ctx: Context) -> Iterator[Finding]:
    kind = plan.peft.kind
    if kind in LORA_FAMILY or kind == "full" or plan.peft.reason:
        return
    wanted = intent_choice(plan, ctx)
    if wanted is not None and wanted[0] == kind:
        return  # the intent is the reason
    yield Finding(
        f"{kind} without a stated reason: LoRA is the default choice (or set peft.reason)",
        KIND,
        Fix("Use LoRA", "unsafe", (SetValue(KIND, "lora"),)),
    )


@rule(
    code="TL303",
    name="peft-against-intent",
    severity="info",
    applies_to=TRAINING,
    source=ARTICLE,
    summary="PEFT choice against the intent matrix",
    fixable="always",
    docs=RuleDocs(
        what="The stated intent calls for another PEFT method: several tasks -> `adapters`; "
        "inference speed -> `ia3`; strengthening a prompt -> `prefix-tuning`; memory first, "
        f"or a GPU of {TINY_VRAM_GB} GB or less -> `qlora`.",
        why="Each of these methods wins on one axis: adapters switch per task on a shared "
        "base, IA3 adds no inference latency, prefix tuning steers through learned prompt "
        "vectors, QLoRA fits a 4-bit base in a few GB.",
        example="intent:\n  tasks: 3\npeft:\n  kind: lora",
        fix="Set `peft.kind` to the method the matrix names.",
        fix_safety="Unsafe: what trains changes.",
    ),
)
def peft_against_intent(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.peft.reason:
        return
    wanted = intent_choice(plan, ctx)
    if wanted is None:
        return
    kind, why = wanted
    if plan.peft.kind == kind or plan.peft.kind == "full":
        return
    yield Finding(
        f"{why}: the PEFT matrix suggests {kind}, not {plan.peft.kind}",
        KIND,
        Fix(f"Use {kind}", "unsafe", (SetValue(KIND, kind),)),
    )
