"""Memory rules, driven by the per-config estimate (tunelint.knowledge.memory): the config
does not fit its GPU (TL402), the article's strategy-by-VRAM table (TL401), and a note when
the estimate had to be skipped (TL400). The report is `Context.estimate`
(tunelint.knowledge.memory_report), computed by the pipeline, not here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, Applicability, RuleDocs
from tunelint.config.dialects.facts import JSON, PYYAML, PYYAML_ARGPARSE
from tunelint.config.plan_edits import PlanEdit, SetValue

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.knowledge.memory import MemoryScenario
    from tunelint.knowledge.memory_plan import MemoryReport

# The estimator is imported when a rule first needs it (a GPU is known), not when the rule
# registry loads: `tunelint check` on GPU-less configs does not pay for it.

ARTICLE_VRAM = "article §5 (strategy by GPU memory)"
MODEL_PATH = ("model", "name")
KIND = ("peft", "kind")
GC = ("training", "gradient_checkpointing")
# What a model path not on this machine was read as (models.lookup_model's assumption).
MODEL = "the model a missing local path names"
# TL401: a config that fits with less headroom than this is "tight": a longer sample, a
# fragmentation spike or another process on the GPU tips it over.
TIGHT_HEADROOM = 0.10
# TL401 (QLoRA on a big GPU): plain LoRA must leave this much headroom to be recommended.
COMFORTABLE_HEADROOM = 0.20
# Micro-batch splits keep the effective batch and the objective for these methods; KTO's KL
# term and online RL's generation groups depend on the micro-batch, so there it is unsafe.
SPLIT_SAFE_METHODS = frozenset({"sft", "dpo", "orpo", "reward"})


def _report(ctx: Context) -> MemoryReport | None:
    from tunelint.knowledge.memory_plan import MemoryReport

    report = ctx.estimate
    return report if isinstance(report, MemoryReport) else None


def _level(plan: Plan, scn: MemoryScenario) -> int:
    """Memory class of the strategy: 0 QLoRA (quantized), 1 PEFT, 2 full fine-tuning."""
    if scn.quantization != "none":
        return 0
    return 2 if plan.peft.kind == "full" else 1


# benchmarks/estimator_accuracy.py: 95% of published measurements lie within 25% of the
# estimate; a peak above capacity by less than that may still fit.
ESTIMATE_ERROR_BAND = 0.25


def _row(capacity_gib: float) -> tuple[int, str]:
    """The article's row for a GPU size: (strategy level, its words)."""
    if capacity_gib < 14:
        return 0, "4-8 GB: QLoRA / 4-bit quantization"
    if capacity_gib < 24:
        return 1, "16 GB: LoRA + bf16"
    if capacity_gib < 80:
        return 1, "24-48 GB: DPO + LoRA"
    return 2, "80 GB and more: RLHF becomes possible"


def _gib(scn: MemoryScenario) -> float:
    from tunelint.knowledge.memory import GIB, estimate_memory

    return estimate_memory(scn).per_gpu_bytes / GIB


def _edits(pairs: tuple[tuple[tuple[str, ...], Any], ...]) -> tuple[PlanEdit, ...]:
    return tuple(SetValue(path, value) for path, value in pairs)


def _qlora_edits(plan: Plan) -> tuple[tuple[tuple[str, ...], Any], ...]:
    edits: tuple[tuple[tuple[str, ...], Any], ...] = ((KIND, "qlora"),)
    if plan.model.quantization not in (None, "4bit"):
        edits += ((("model", "quantization"), "4bit"),)
    return edits


def _split(plan: Plan, scn: MemoryScenario, capacity: float) -> tuple[int, int] | None:
    """The largest smaller micro-batch (a divisor) that fits, with the accumulation that keeps
    the effective batch; None when none fits or the micro-batch is 1."""
    mbs = scn.micro_batch_size
    ga = plan.training.gradient_accumulation_steps
    for new in sorted((d for d in range(1, mbs) if mbs % d == 0), reverse=True):
        if (
            _gib(replace(scn, micro_batch_size=new, gradient_accumulation_steps=ga * mbs // new))
            <= capacity
        ):
            return new, ga * mbs // new
    return None


def _fit_fix(plan: Plan, scn: MemoryScenario, capacity: float) -> tuple[Fix, float] | None:
    """The first change (least invasive first) that makes the estimate fit, and its GiB."""
    split_safe = plan.method.kind in SPLIT_SAFE_METHODS
    candidates: list[tuple[str, bool, tuple[tuple[tuple[str, ...], Any], ...], MemoryScenario]] = []
    gc_scn = replace(scn, gradient_checkpointing=True)
    if not scn.gradient_checkpointing:
        candidates.append(("Enable gradient checkpointing", True, ((GC, True),), gc_scn))
    for base_title, safe, base_edits, base in (
        ("", True, (), scn),
        ("enable gradient checkpointing", True, ((GC, True),), gc_scn),
    ):
        if base is gc_scn and scn.gradient_checkpointing:
            continue
        split = _split(plan, base, capacity)
        if split is not None:
            mbs, ga = split
            title = f"Micro-batch {mbs} x {ga} accumulation steps (same effective batch)"
            if base_title:
                title += f", {base_title}"
            edits = (
                *base_edits,
                (("training", "micro_batch_size"), mbs),
                (("training", "gradient_accumulation_steps"), ga),
            )
            new = replace(base, micro_batch_size=mbs, gradient_accumulation_steps=ga)
            candidates.append((title, safe and split_safe, edits, new))
    if scn.quantization == "none":
        from tunelint.knowledge.memory_plan import to_qlora

        q_scn = to_qlora(plan, scn)[1]
        q_pairs = _qlora_edits(plan)
        candidates.append(("Switch to QLoRA", False, q_pairs, q_scn))
        if not scn.gradient_checkpointing:
            candidates.append(
                (
                    "Switch to QLoRA and enable gradient checkpointing",
                    False,
                    (*q_pairs, (GC, True)),
                    replace(q_scn, gradient_checkpointing=True),
                )
            )
    for title, safe, edits, new in candidates:
        gib = _gib(new)
        if gib <= capacity:
            return Fix(title, "safe" if safe else "unsafe", _edits(edits)), gib
    return None


@rule(
    code="TL400",
    name="memory-estimate-skipped",
    severity="info",
    applies_to=TRAINING,
    source="tunelint (memory estimate)",
    summary="The memory estimate was skipped",
    needs_gpu=True,
    docs=RuleDocs(
        what="A GPU is known but the model's architecture is not: the hub id or path is not "
        "in the model catalog, not a local folder with a `config.json`, and not in the "
        "offline Hugging Face cache. The memory rules (TL401, TL402) are then silent. Bare "
        "names that are neither hub ids (`org/name`) nor paths count as placeholders.",
        why="Without the architecture there is no parameter count, no activation size and "
        "no estimate; saying so beats a silent pass.",
        example="model:\n  name: my-org/private-model\nhardware:\n  gpu: A10G",
        fix="Point `model.name` at a local folder with the model's `config.json`, download "
        "the model into the Hugging Face cache, or ignore TL400.",
        fix_safety="No automatic fix.",
    ),
)
def memory_estimate_skipped(plan: Plan, ctx: Context) -> Iterator[Finding]:
    report = _report(ctx)
    if report is None or report.estimate is not None or ctx.gpu is None:
        return
    if not _looks_like_model_reference(plan.model.name):
        return  # a placeholder such as `x`: neither a hub id nor a path
    yield Finding(f"memory estimate skipped: {report.reason}", MODEL_PATH)


def _looks_like_model_reference(name: str) -> bool:
    """A hub id (`org/name`) or a filesystem path; bare words are treated as placeholders."""
    name = name.strip()
    return "/" in name or "\\" in name or name.startswith((".", "~"))


@rule(
    code="TL401",
    name="strategy-against-vram-table",
    severity="info",
    applies_to=TRAINING,
    may_assume=(MODEL,),
    source=ARTICLE_VRAM,
    summary="Strategy against the article's VRAM table, by the memory estimate",
    fixable="sometimes",
    needs_gpu=True,
    docs=RuleDocs(
        what="The article's table: 4-8 GB -> QLoRA, 16 GB -> LoRA + bf16, 24-48 GB -> DPO + "
        "LoRA, 80 GB and more -> RLHF. Checked against this config's estimate: (1) a "
        "heavier strategy than the GPU's row (full fine-tuning on 16-48 GB, LoRA on 4-8 GB) "
        f"that fits with less than {TIGHT_HEADROOM:.0%} headroom, where the row's strategy "
        f"would fit; (2) QLoRA on 16 GB or more where plain LoRA fits with "
        f"{COMFORTABLE_HEADROOM:.0%} headroom. A config that does not fit at all is TL402's.",
        why="A config at the edge of the GPU fails on the first long sample or fragmentation "
        "spike. QLoRA where LoRA fits costs speed (dequantizing every matmul) and some "
        "quality for memory that is not needed.",
        example="model:\n  name: Qwen/Qwen2.5-7B\npeft:\n  kind: qlora\nhardware:\n  gpu: A100-80GB",
        fix="Switch `peft.kind` to the row's method (the estimate is shown for both).",
        fix_safety="Unsafe: what trains and how changes.",
    ),
)
def strategy_against_vram_table(plan: Plan, ctx: Context) -> Iterator[Finding]:
    report = _report(ctx)
    if report is None or report.estimate is None or report.scenario is None or ctx.gpu is None:
        return
    capacity = report.capacity_gib or ctx.gpu.memory_gib
    scn = report.scenario
    est = report.estimate.per_gpu_gib
    if est > capacity:
        return  # TL402
    row_level, row_text = _row(capacity)
    level = _level(plan, scn)
    if level > row_level and est > capacity * (1 - TIGHT_HEADROOM):
        if row_level == 0:
            from tunelint.knowledge.memory_plan import to_qlora

            pairs = _qlora_edits(plan)
            new = to_qlora(plan, scn)[1]
        else:
            pairs = ((KIND, "lora"),)
            new = replace(scn, peft="lora", adapter_count=1)
        gib = _gib(new)
        if gib <= capacity * (1 - TIGHT_HEADROOM):
            kind = dict(pairs)[KIND]
            # A sharded run with no stated count was estimated at the fewest GPUs that fit.
            count = report.gpu_count
            where = ctx.gpu.name if count == 1 else f"{count} x {ctx.gpu.name}"
            fewest = (
                (f"{count} GPUs, the fewest that fit",)
                if count > 1 and not report.gpu_count_stated
                else ()
            )
            yield Finding(
                f"{plan.peft.kind} fits {where} with only {capacity - est:.1f} GiB "
                f"headroom per GPU (est. {est:.1f} of {capacity:g} GiB); the article's row is "
                f"{row_text} — with {kind}: est. {gib:.1f} GiB",
                KIND,
                Fix(f"Use {kind}", "unsafe", _edits(pairs)),
                assumed=(*fewest, *_model_assumed(ctx)),
            )
        return
    if (
        plan.peft.kind == "qlora"
        and row_level >= 1
        and plan.intent.priority != "memory"
        and not plan.peft.reason
    ):
        lora = replace(scn, quantization="none", adapter_dtype="fp32")
        gib = _gib(lora)
        if gib <= capacity * (1 - COMFORTABLE_HEADROOM):
            edits: tuple[PlanEdit, ...] = (SetValue(KIND, "lora"),)
            if plan.model.quantization == "4bit":
                edits += (SetValue(("model", "quantization"), "none"),)
            yield Finding(
                f"QLoRA on {ctx.gpu.name} ({capacity:g} GiB): the article keeps QLoRA for "
                f"4-8 GB; plain LoRA fits here (est. {gib:.1f} GiB vs {est:.1f} GiB with "
                "QLoRA) and trains faster without quantization error",
                KIND,
                Fix("Use LoRA", "unsafe", edits),
                assumed=_model_assumed(ctx),
            )


@rule(
    code="TL402",
    name="exceeds-gpu-memory",
    severity="error",
    applies_to=TRAINING,
    may_assume=(
        "GPU count",
        "what trains",
        "a referenced file",
        "model parallelism",
        "sequence lengths",
        MODEL,
    ),
    source="tunelint (memory estimate)",
    summary="Estimated peak memory exceeds the GPU",
    fixable="sometimes",
    needs_gpu=True,
    docs=RuleDocs(
        what="The estimated peak memory per GPU (weights, adapters, gradients, optimizer "
        "states, activations, the logits spike, reference/reward models, CUDA context; "
        "`tunelint estimate` shows the breakdown and assumptions) is above the GPU's memory.",
        why="The run would stop with CUDA out-of-memory, usually after the model has loaded "
        "and often only on the first long batch — minutes to hours into a rented GPU. An "
        "error when the estimate is more than 25% above the GPU's memory (the estimator's "
        "error band on published measurements) and rests on no assumed fact; a warning "
        "within the band or when it assumed the GPU count or a file it could not read, or "
        "that every sequence reaches the full length (no packing, no padding to the "
        "length, no local data file to measure: batches are padded only to their longest "
        "sample, so the estimate is an upper bound).",
        example="model:\n  name: Qwen/Qwen2.5-7B\n  max_seq_len: 4096\npeft:\n  kind: full\n"
        "hardware:\n  gpu: A10G",
        fix="The first change that fits, least invasive first: enable gradient "
        "checkpointing; split the micro-batch and raise gradient accumulation by the same "
        "factor; switch to QLoRA (with checkpointing if needed). When nothing fits: more "
        "GPUs with ZeRO-3/FSDP, a shorter `max_seq_len`, or a smaller model.",
        fix_safety="Gradient checkpointing: safe (same results, ~30% slower). Micro-batch "
        "split: safe for sft/dpo/orpo/reward (same effective batch and objective), unsafe for "
        "kto and online RL (the KL estimate and generation groups depend on the micro-batch). "
        "QLoRA: unsafe (4-bit base: slower, slightly different results).",
    ),
)
def exceeds_gpu_memory(plan: Plan, ctx: Context) -> Iterator[Finding]:
    report = _report(ctx)
    if report is None or report.estimate is None or report.scenario is None or ctx.gpu is None:
        return
    capacity = report.capacity_gib or ctx.gpu.memory_gib
    est = report.estimate
    if est.per_gpu_gib <= capacity:
        return
    largest = est.largest
    from tunelint.knowledge.memory_plan import MAX_GPUS

    if report.gpu_count >= MAX_GPUS:  # the sharded run fits no count: what is left is per GPU
        count = f" on any number of GPUs (at {MAX_GPUS}: what sharding cannot divide)"
    else:
        count = f" x {report.gpu_count}" if report.gpu_count > 1 else ""
    message = (
        f"estimated peak {est.per_gpu_gib:.1f} GiB per GPU exceeds {ctx.gpu.name} "
        f"({capacity:g} GiB){count}; largest: {largest.name.replace('_', ' ')} "
        f"{largest.gib:.1f} GiB"
    )
    assumed = _assumptions(ctx) + _length_assumption(plan, ctx, report.scenario, capacity)
    # An error promises the run cannot fit on any reading: only past the estimator's own
    # error band. Within it the estimate says "likely", a warning.
    severity = None if est.per_gpu_gib > capacity * (1 + ESTIMATE_ERROR_BAND) else "warning"
    if severity:
        message += (
            f" (within the estimate's ±{ESTIMATE_ERROR_BAND:.0%} error band: likely, not certain,"
            " to run out of memory)"
        )
    found = _fit_fix(plan, report.scenario, capacity)
    if found is None:
        message += "; no single change fits: more GPUs with ZeRO-3/FSDP, shorter sequences or a smaller model"
        yield Finding(message, MODEL_PATH, assumed=assumed, severity=severity)
        return
    fix, gib = found
    yield Finding(
        f"{message}; {fix.title.lower()}: est. {gib:.1f} GiB",
        MODEL_PATH,
        fix,
        assumed=assumed,
        severity=severity,
    )


def _length_assumption(
    plan: Plan, ctx: Context, scn: MemoryScenario, capacity: float
) -> tuple[str, ...]:
    """Full-length sequences are certain with packing, padding to the length, or measured
    data; otherwise the collator pads each batch to its longest sample only (TRL's and
    axolotl's default), and the estimate is an upper bound. The verdict rests on that
    only where one-token sequences would not already be past the error band."""
    if scn.seq_len_from_data or plan.training.sample_packing or ctx.facts.padded_to_length:
        return ()
    if _gib(replace(scn, seq_len=1)) > capacity * (1 + ESTIMATE_ERROR_BAND):
        return ()  # the model states alone do not fit: no length makes it fit
    return (f"every sequence reaches the maximum length, {scn.seq_len:,} tokens",)


def _assumptions(ctx: Context) -> tuple[str, ...]:
    """What the verdict rests on that the config does not state: the GPU count where the
    launch command decides the sharding (a sharded run the config states is estimated at
    the smallest count that fits: no count is assumed there), files it names but that could
    not be read, and what trains when only a part does."""
    assumed: list[str] = []
    if ctx.facts.sharding_outside and not ctx.gpu_count_stated:
        assumed.append(f"{ctx.gpu_count} GPU{'s' if ctx.gpu_count != 1 else ''}, unsharded")
    for written in ctx.facts.unmodelled_parallelism:
        assumed.append(f"no {written} (not modelled)")
    for missing in ctx.facts.missing_files:
        assumed.append(f"no {missing.kind} settings ({missing.reference} not found)")
    if ctx.facts.partial:
        assumed.append(f"every weight trains, though {ctx.facts.partial} trains a part")
    return (*assumed, *_model_assumed(ctx))


def _model_assumed(ctx: Context) -> tuple[str, ...]:
    """The model the estimate read, when it was assumed ("/tmp/X is meta-llama/...")."""
    report = _report(ctx)
    return (report.model_assumed,) if report is not None and report.model_assumed else ()


# The files TRL itself loads (its CLI and trainer configs), not tunelint's runner.
_TRL_FILES = Applicability(
    purposes=("train",), trainers=("trl",), loaders=(PYYAML, PYYAML_ARGPARSE, JSON)
)


@rule(
    code="TL403",
    name="trl-base-loaded-in-fp32",
    severity="warning",
    applies_to=_TRL_FILES,
    may_assume=("the framework version",),
    source="TRL PR #4778 (0.27): trl/trainer/utils.py create_model_from_path",
    summary="TRL loads the frozen base in fp32: no dtype is set",
    docs=RuleDocs(
        what="An adapter run (LoRA, QLoRA) in bf16/fp16 with TRL 0.27 or newer whose config "
        "sets no `dtype` (`model_init_kwargs.dtype` for a trainer's arguments): TRL loads a "
        "model given by name in float32 unless told otherwise, so the frozen base (for QLoRA "
        "its embeddings, norms and head) takes 4 bytes per parameter, twice the training "
        "dtype's, and autocast computes in half precision over it.",
        why="The base does not train: holding it in fp32 doubles the largest part of an "
        "adapter run's memory and buys nothing. Before 0.27 TRL loaded the checkpoint's own "
        "dtype ('auto').",
        example="model_name_or_path: meta-llama/Llama-3.1-8B\nuse_peft: true\nbf16: true",
        fix="Set `dtype: bfloat16` (the CLI's ModelConfig) or `model_init_kwargs: "
        "{dtype: bfloat16}` (SFTConfig/DPOConfig...); `auto` keeps the checkpoint's dtype.",
        fix_safety="No automatic fix: which of the two keys the script reads depends on how "
        "it builds the model.",
    ),
)
def trl_base_loaded_in_fp32(plan: Plan, ctx: Context) -> Iterator[Finding]:
    from tunelint.knowledge.memory_report import trainer_version
    from tunelint.knowledge.memory_stack import TRL_FP32_LOAD_FROM
    from tunelint.knowledge.version_specs import version_tuple

    if plan.peft.kind == "full" or ctx.facts.weights_dtype is not None:
        return
    if plan.precision not in ("bf16", "fp16") or plan.hardware.distributed.startswith("deepspeed"):
        return
    resolved = trainer_version(ctx.facts, ctx.file, ctx.settings)
    if resolved is None or version_tuple(resolved.version) < TRL_FP32_LOAD_FROM:
        return
    half = "bfloat16" if plan.precision == "bf16" else "float16"
    sized = ""
    report = _report(ctx)
    if report is not None and report.estimate is not None:
        gib = report.estimate.component("weights") / 1024**3
        sized = f" ({gib:.1f} GiB of weights in all)"
    assumed = () if resolved.exact else (f"TRL {resolved.version} ({resolved.source})",)
    what = (
        "the frozen base"
        if plan.effective_quantization == "none"
        else "the quantized base's other parameters (embeddings, norms, head)"
    )
    yield Finding(
        f"TRL {resolved.version} loads the model in fp32 when no dtype is set: {what} of "
        f"this {plan.peft.kind} run take twice the memory of {plan.precision}{sized}; set "
        f"`dtype: {half}` (or `model_init_kwargs: {{dtype: {half}}}`)",
        MODEL_PATH,
        assumed=assumed,
    )
