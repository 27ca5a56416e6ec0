"""Runs that fail at start-up, from real failure reports: FSDP wrapping a class the model does
not have, 8-bit weights under FSDP, FP8 on GPUs without FP8 tensor cores, hard-coded DeepSpeed
values, and QLoRA of MoE models whose experts stay in 16 bits."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import tomllib

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, Applicability, RuleDocs
from tunelint.config.plan_edits import SetValue
from tunelint.knowledge.model_spec import ModelSpec

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

SOURCE = "ecosystem (upstream issues)"
DATA = Path(__file__).parent / "data"
FP8_MIN_CC = 8.9  # Ada (sm_89) and newer have FP8 tensor cores


@cache
def decoder_layers() -> dict[str, str]:
    return tomllib.loads((DATA / "decoder_layers.toml").read_text(encoding="utf-8"))


# What a model path not on this machine was read as (models.lookup_model's assumption).
MODEL = "the model a missing local path names"


def model_spec(plan: Plan, ctx: Context) -> tuple[ModelSpec | None, tuple[str, ...]]:
    """The model's architecture from the catalog, a local folder or the offline cache, and
    what was assumed to find it (a path not on this machine read by its folder name)."""
    if not plan.model.name:
        return None, ()
    from tunelint.knowledge.models import lookup_model  # the catalog loads on first use

    search = (ctx.file.parent,) if ctx.file is not None else ()
    found = lookup_model(plan.model.name, search)
    return found.spec, (found.assumed,) if found.assumed else ()


@rule(
    code="TL519",
    name="fsdp-wrap-class",
    severity="error",
    applies_to=TRAINING,
    may_assume=(MODEL,),
    source=SOURCE,
    summary="FSDP wraps a layer class the model does not have",
    fixable="always",
    docs=RuleDocs(
        what="`transformer_layer_cls_to_wrap` (FSDP's transformer-based auto-wrap policy, in "
        "axolotl, TRL/transformers or accelerate spelling) that does not name the decoder "
        "layer class of the model's architecture (LlamaDecoderLayer, Qwen2DecoderLayer, ...; "
        "from the model catalog or the model's config.json). Silent when the model is unknown.",
        why="accelerate looks the class up in the model and stops with 'Could not find the "
        "transformer layer class to wrap in the model' — typically after copying a Llama "
        "recipe to Qwen or Mistral, or an old spelling such as `LLaMADecoderLayer`.",
        example="base_model: Qwen/Qwen2.5-7B\nfsdp: [full_shard, auto_wrap]\nfsdp_config:\n"
        "  fsdp_transformer_layer_cls_to_wrap: LlamaDecoderLayer",
        fix="Name the model's decoder layer class.",
        fix_safety="Safe: the class is the model's own; any other name stops the run.",
        references=(
            "https://github.com/tatsu-lab/stanford_alpaca/issues/58",
            "https://github.com/hiyouga/LlamaFactory/issues/8279",
            "https://github.com/lm-sys/FastChat/issues/3400",
        ),
    ),
)
def fsdp_wrap_class(plan: Plan, ctx: Context) -> Iterator[Finding]:
    wrap = ctx.facts.fsdp_wrap
    if wrap is None:
        return
    spec, assumed = model_spec(plan, ctx)
    expected = decoder_layers().get(spec.model_type) if spec is not None else None
    if expected is None or expected in wrap.classes:
        return
    written = ", ".join(wrap.classes)
    fix = None
    if wrap.ref.file is None:
        fix = Fix(f"Wrap {expected}", "safe", (SetValue(wrap.ref.path, expected),))
    yield Finding(
        f"FSDP wraps {written}, but {plan.model.name} ({spec.model_type}) is built from "
        f"{expected}: accelerate stops with 'Could not find the transformer layer class'",
        wrap.ref.path,
        fix,
        file=wrap.ref.file,
        assumed=assumed,
    )


@rule(
    code="TL520",
    name="8bit-under-fsdp",
    severity="error",
    applies_to=TRAINING,
    source=SOURCE,
    summary="8-bit (bitsandbytes) weights under FSDP",
    docs=RuleDocs(
        what="`load_in_8bit` / `quantization_bit: 8` (8-bit bitsandbytes weights) with FSDP.",
        why="FSDP flattens each wrapped module's parameters into one tensor of one dtype; "
        "LLM.int8 weights are int8 tensors with separate fp16 statistics and are refused: "
        "'Must flatten tensors with uniform dtype but got torch.float16 and torch.int8' / "
        "'Integer parameters are unsupported'. FSDP + QLoRA works with 4-bit weights stored "
        "in the compute dtype (`bnb_4bit_quant_storage`); there is no such path for 8 bits.",
        example="load_in_8bit: true\nadapter: lora\nfsdp: [full_shard, auto_wrap]",
        fix="Use 4-bit QLoRA with `bnb_4bit_quant_storage` matching the compute dtype, or "
        "DeepSpeed, or plain LoRA in bf16.",
        fix_safety="No automatic fix: each choice changes memory or numerics.",
        references=(
            "https://github.com/huggingface/accelerate/issues/1415",
            "https://github.com/hiyouga/LlamaFactory/issues/3543",
            "https://github.com/bitsandbytes-foundation/bitsandbytes/issues/1709",
        ),
    ),
)
def eight_bit_under_fsdp(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.effective_quantization == "8bit" and plan.hardware.distributed == "fsdp":
        yield Finding(
            "8-bit bitsandbytes weights cannot be sharded by FSDP (int8 and fp16 tensors in "
            "one flat parameter): use 4-bit QLoRA with bnb_4bit_quant_storage, or DeepSpeed",
            ("model", "quantization"),
        )


@rule(
    code="TL521",
    name="fp8-without-support",
    severity="error",
    applies_to=TRAINING,
    source=SOURCE,
    summary="FP8 training on a GPU below compute capability 8.9",
    needs_gpu=True,
    docs=RuleDocs(
        what=f"FP8 training switched on (axolotl `fp8: true`, accelerate `mixed_precision: "
        f"fp8`, torchtune `enable_fp8_training`) on a GPU with compute capability below "
        f"{FP8_MIN_CC} (A100, A10G, RTX 3090, V100, T4...).",
        why="FP8 matrix multiplies need the FP8 tensor cores of Ada (8.9) and Hopper (9.0) or "
        "newer: Transformer Engine and torchao stop with 'Device compute capability 8.9 or "
        "higher required for FP8 execution'.",
        example="fp8: true\nbf16: true\n# on an A100",
        fix="Turn FP8 off (bf16 is the fastest format the GPU has).",
        fix_safety="Safe on these GPUs: FP8 cannot run there at all.",
        references=(
            "https://github.com/NVIDIA/TransformerEngine/issues/1159",
            "https://github.com/NVIDIA/TransformerEngine/issues/15",
            "https://github.com/huggingface/accelerate/pull/1348",
        ),
    ),
)
def fp8_without_support(plan: Plan, ctx: Context) -> Iterator[Finding]:
    ref, gpu = ctx.facts.fp8, ctx.gpu
    if ref is None or gpu is None or gpu.compute_capability is None or not gpu.cuda:
        return
    if gpu.compute_capability >= FP8_MIN_CC or gpu.fp8:
        return
    yield Finding(
        f"FP8 training on {gpu.name} (compute capability {gpu.compute_capability:g}): FP8 "
        f"needs {FP8_MIN_CC} or newer (Ada, Hopper); train in bf16",
        ref.path,
        file=ref.file,
    )


@rule(
    code="TL522",
    name="deepspeed-hardcoded-values",
    severity="info",
    applies_to=Applicability(dialects=("deepspeed",)),
    source=SOURCE,
    summary='A DeepSpeed JSON fixes batch or precision values instead of "auto"',
    docs=RuleDocs(
        what="A DeepSpeed JSON linted on its own that fixes `train_micro_batch_size_per_gpu`, "
        "`gradient_accumulation_steps`, `gradient_clipping`, optimizer `lr` / `weight_decay`, "
        '`fp16.enabled` or `bf16.enabled` instead of `"auto"`. (Read with a trainer config, '
        "differing values are TL504's.)",
        why="Such a file is usually shared by several trainer configs; the HF Trainer "
        "(axolotl, LLaMA-Factory, TRL) stops when a fixed value differs from its own "
        'arguments, so every config that uses the file must repeat these numbers. `"auto"` '
        "takes them from the trainer.",
        example='{"train_micro_batch_size_per_gpu": 4, "bf16": {"enabled": true}}',
        fix='Write `"auto"` for values a trainer config sets (keep numbers only for a plain '
        "`deepspeed` launch, which does not accept `auto`).",
        fix_safety="No automatic fix: plain DeepSpeed launches need the numbers.",
        references=(
            "https://github.com/huggingface/transformers/pull/12021",
            "https://github.com/hiyouga/LlamaFactory/issues/201",
        ),
    ),
)
def deepspeed_hardcoded_values(plan: Plan, ctx: Context) -> Iterator[Finding]:
    for value in ctx.facts.deepspeed_values:
        shown = str(value.value).lower() if isinstance(value.value, bool) else f"{value.value:g}"
        yield Finding(
            f'`{value.setting}` is fixed at {shown}: "auto" lets the trainer config that uses '
            "this file set it (a differing value stops the HF Trainer)",
            value.ref.path,
        )


@rule(
    code="TL523",
    name="moe-experts-unquantized",
    severity="warning",
    applies_to=TRAINING,
    may_assume=(MODEL,),
    source=SOURCE,
    summary="QLoRA of a MoE model whose experts stay in 16 bits",
    docs=RuleDocs(
        what="4-bit (QLoRA) loading of a mixture-of-experts model (Mixtral, Qwen3-MoE, "
        "gpt-oss, DeepSeek...) without axolotl's `quantize_moe_experts`.",
        why="transformers 5 stores each layer's experts as fused 3-D parameters rather than "
        "nn.Linear modules; bitsandbytes quantizes only nn.Linear, so the experts — most of a "
        "MoE model's weights — load in bf16 and the memory QLoRA was chosen for is not saved. "
        "axolotl's `quantize_moe_experts` quantizes them on load.",
        example="base_model: Qwen/Qwen3-30B-A3B\nadapter: qlora\nload_in_4bit: true",
        fix="axolotl: `quantize_moe_experts: true` (with `lora_target_parameters` for expert "
        "weights). Elsewhere: budget memory for bf16 experts, or use a pre-quantized checkpoint.",
        fix_safety="No automatic fix: the switch also changes which LoRA targets are allowed.",
        references=(
            "https://github.com/bitsandbytes-foundation/bitsandbytes/issues/1849",
            "https://github.com/unslothai/unsloth/issues/4032",
        ),
    ),
)
def moe_experts_unquantized(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.effective_quantization != "4bit" or ctx.facts.experts_quantized:
        return
    spec, assumed = model_spec(plan, ctx)
    if spec is None or spec.num_experts <= 1 or spec.quantization is not None:
        return
    yield Finding(
        f"{plan.model.name} is a mixture of {spec.num_experts} experts: under transformers 5 "
        "4-bit loading leaves the expert weights (fused parameters, not nn.Linear) in bf16, so "
        "most of the model is not quantized",
        ("model", "quantization") if plan.model.quantization else ("peft", "kind"),
        assumed=assumed,
    )
