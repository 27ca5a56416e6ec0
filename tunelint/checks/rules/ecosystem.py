"""Ecosystem mistakes, part 1: model loading, precision flags and distribution (TL501-TL505,
TL512-TL515, TL517). Each rule cites the upstream issues it prevents.

Rules read the Plan and the dialect facts (`tunelint.config.dialects.facts`) only; a fact
about a key carries a source-map path, so findings land on that key, in whichever file
(the config, or the DeepSpeed JSON it names) holds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from tunelint.checks.context import Context
from tunelint.checks.finding import Finding, Fix
from tunelint.checks.registry import rule
from tunelint.checks.rule import TRAINING, TRAINING_RUN, RuleDocs
from tunelint.config.dialects.facts import DeepSpeedValue, KeyRef
from tunelint.config.plan_edits import RemoveKey, SetValue

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

ECOSYSTEM = "ecosystem (upstream issues)"
QUANT = ("model", "quantization")
PRECISION = ("precision",)
ATTENTION = ("model", "attn_implementation")
MODEL_KEYS = "how the script loads the model"  # TRL ModelConfig keys (rule.may_assume)
_GEMMA_2_3 = re.compile(r"gemma[-_ ]?[23](?![0-9])", re.IGNORECASE)
_STORAGE_FOR = {"bf16": "bfloat16", "fp16": "float16", "fp32": "float32"}


def _model_keys(ctx: Context) -> tuple[str, ...]:
    """The assumption a finding on 4/8-bit loading or the weight dtype rests on, if any."""
    assumed = ctx.facts.model_keys_assumed
    return (assumed,) if assumed else ()


def _written(ctx: Context, path: tuple[str, ...]) -> bool:
    return path in ctx.facts.written


def _at(ref: KeyRef) -> dict[str, Any]:
    """Finding placement for a key: its source-map path (and file, for a related file)."""
    return {"path": ref.path, "file": ref.file} if ref.file else {"path": ref.path}


def _bf16_or_fp32(ctx: Context) -> str:
    return "bf16" if ctx.gpu is None or ctx.gpu.bf16 else "fp32"


@rule(
    code="TL501",
    name="qlora-without-4bit",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="QLoRA adapter without 4-bit loading",
    fixable="always",
    docs=RuleDocs(
        what="`peft.kind: qlora` (axolotl `adapter: qlora`) while the base model is not loaded "
        "in 4 bits (`load_in_4bit` false or missing, or `load_in_8bit`).",
        why="QLoRA *is* LoRA on a frozen 4-bit (NF4) base model; without 4-bit loading the base "
        "weights stay in 16 bits and take four times the memory the plan was sized for, and "
        "`qlora` silently means plain LoRA (axolotl builds its 4-bit config only when "
        "`load_in_4bit` is set; 8-bit loading with `qlora` is refused).",
        example="adapter: qlora\nload_in_4bit: false",
        fix="Load the base model in 4 bits (`load_in_4bit: true`; LLaMA-Factory "
        "`quantization_bit: 4`), or use `adapter: lora` if the memory is there.",
        fix_safety="Safe: it makes the config do what `qlora` says.",
        references=(
            "https://github.com/huggingface/peft/pull/476",
            "https://github.com/unslothai/unsloth/issues/256",
            "https://github.com/hiyouga/LlamaFactory/issues/173",
        ),
    ),
)
def qlora_without_4bit(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.peft.kind == "qlora" and plan.effective_quantization != "4bit":
        loaded = plan.effective_quantization
        how = "in 8 bits" if loaded == "8bit" else "unquantized"
        yield Finding(
            f"QLoRA needs the base model loaded in 4 bits; it is loaded {how} here",
            QUANT,
            Fix("Load the base model in 4 bits", "safe", (SetValue(QUANT, "4bit"),)),
        )


@rule(
    code="TL502",
    name="quantized-without-adapter",
    severity="error",
    applies_to=TRAINING_RUN,
    may_assume=(MODEL_KEYS,),
    source=ECOSYSTEM,
    summary="4/8-bit loading with no adapter to train",
    fixable="always",
    docs=RuleDocs(
        what="The base model is loaded in 4 or 8 bits (`load_in_4bit`, `load_in_8bit`, "
        "`quantization_bit`) and no adapter is trained (full fine-tuning).",
        why="Quantized weights cannot be trained: transformers' Trainer stops with 'You cannot "
        "perform fine-tuning on purely quantized models. Please attach trainable adapters'. "
        "Quantized loading only makes sense with LoRA on top (QLoRA).",
        example="base_model: NousResearch/Meta-Llama-3-8B\nload_in_8bit: true\n# no adapter",
        fix="Train an adapter on the quantized base (`adapter: qlora` for 4 bits, `lora` for 8), "
        "or drop the quantized loading for a full fine-tune.",
        fix_safety="Unsafe: switching to an adapter changes what is trained.",
        references=(
            "https://github.com/unslothai/unsloth/issues/1110",
            "https://github.com/hiyouga/LlamaFactory/issues/1462",
            "https://github.com/huggingface/transformers/issues/30526",
        ),
    ),
)
def quantized_without_adapter(plan: Plan, ctx: Context) -> Iterator[Finding]:
    quant = plan.effective_quantization
    if quant in ("4bit", "8bit") and plan.peft.kind == "full":
        kind = "qlora" if quant == "4bit" else "lora"
        yield Finding(
            f"the base model is loaded in {quant[0]} bits but no adapter is trained: quantized "
            f"weights cannot be fine-tuned (add a {kind.upper() if kind == 'qlora' else 'LoRA'} "
            "adapter)",
            QUANT,
            Fix(f"Train a {kind} adapter", "unsafe", (SetValue(("peft", "kind"), kind),)),
            assumed=_model_keys(ctx),
        )


@rule(
    code="TL503",
    name="fp16-and-bf16",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="fp16 and bf16 both enabled",
    fixable="sometimes",
    docs=RuleDocs(
        what="`fp16` and `bf16` both switched on in one file: trainer flags (`fp16: true` and "
        "`bf16: true`) or a DeepSpeed JSON with both `fp16.enabled` and `bf16.enabled` true.",
        why="They are alternatives. transformers' TrainingArguments refuses both ('At most one "
        "of fp16 and bf16 can be True'), and DeepSpeed asserts 'bfloat16 and fp16 modes cannot "
        "be simultaneously enabled'.",
        example="bf16: true\nfp16: true",
        fix="Keep bf16 where the GPU has it (Ampere and newer) and drop fp16; on older GPUs keep "
        "fp16 and drop bf16.",
        fix_safety="Safe when the GPU is known to have bf16; otherwise unsafe (bf16 fails on "
        "T4/V100). No fix is offered inside a DeepSpeed JSON named by another config.",
        references=(
            "https://github.com/Snowflake-AI-Research/Arctic-Platform/pull/78",
            "https://github.com/hiyouga/LlamaFactory/issues/3493",
        ),
    ),
)
def fp16_and_bf16(plan: Plan, ctx: Context) -> Iterator[Finding]:
    keep_bf16 = ctx.gpu is None or ctx.gpu.bf16
    for pair in ctx.facts.both_precisions:
        drop = pair.fp16 if keep_bf16 else pair.bf16
        keep = pair.bf16 if keep_bf16 else pair.fp16
        nested = len(drop.path.keys) > 1  # DeepSpeed: `fp16.enabled` -> false; flags: remove
        edit = SetValue(drop.path, False) if nested else RemoveKey(drop.path)
        safe = ctx.gpu is not None
        yield Finding(
            f"`{pair.fp16.label}` and `{pair.bf16.label}` are both on: trainers and DeepSpeed "
            f"refuse that; keep `{keep.label}`",
            fix=Fix(f"Turn off `{drop.label}`", "safe" if safe else "unsafe", (edit,)),
            **_at(pair.fp16),
        )


def _mismatch(value: DeepSpeedValue, plan: Plan, ctx: Context) -> str | None:
    """The trainer's value when it contradicts the DeepSpeed one; None when they agree."""
    if value.plan_path == PRECISION:
        if not _written(ctx, PRECISION) or plan.precision is None:
            return None
        flag = "fp16" if value.setting.startswith("fp16") else "bf16"
        trainer_on = plan.precision == flag
        return None if bool(value.value) == trainer_on else f"{flag}={trainer_on}".lower()
    if not _written(ctx, value.plan_path):
        return None
    section, field = value.plan_path
    trainer = getattr(getattr(plan, section), field)
    if trainer is None:
        return None
    if isinstance(trainer, float) or isinstance(value.value, float):
        if abs(float(trainer) - float(value.value)) <= 1e-12 * max(1.0, abs(float(trainer))):
            return None
    elif trainer == value.value:
        return None
    return f"{trainer:g}" if isinstance(trainer, float) else str(trainer)


@rule(
    code="TL504",
    name="deepspeed-value-mismatch",
    severity="error",
    applies_to=TRAINING_RUN,  # a JSON alone has no trainer values to contradict
    source=ECOSYSTEM,
    summary="DeepSpeed config values contradict the trainer's",
    docs=RuleDocs(
        what="A DeepSpeed JSON (or an accelerate `deepspeed_config`) read with an axolotl, "
        "LLaMA-Factory or TRL config fixes a value the trainer also sets, and the two differ: "
        "`train_micro_batch_size_per_gpu`, `gradient_accumulation_steps`, `gradient_clipping`, "
        "`optimizer.params.lr` / `weight_decay`, `fp16.enabled`, `bf16.enabled`. Only values the "
        "trainer config writes explicitly are compared.",
        why='The HF Trainer fills DeepSpeed\'s `"auto"` values from its own arguments and stops '
        "when a hard-coded one disagrees: 'Please correct the following DeepSpeed config values "
        "that mismatch TrainingArguments values ... The easiest method is to set these DeepSpeed "
        'config values to "auto"\'.',
        example='# ds_config.json\n{"train_micro_batch_size_per_gpu": 4, "fp16": {"enabled": true}}'
        "\n# axolotl config\nmicro_batch_size: 2\nbf16: true\ndeepspeed: ds_config.json",
        fix='Set the DeepSpeed value to `"auto"` so the trainer\'s value is used.',
        fix_safety="No automatic fix: the finding is shown in the JSON while another file is "
        'linted, and fixes edit the linted file only. Setting it to "auto" by hand is safe.',
        references=(
            "https://github.com/huggingface/transformers/pull/12021",
            "https://github.com/shibing624/MedicalGPT/issues/191",
            "https://github.com/hiyouga/LlamaFactory/issues/201",
        ),
    ),
)
def deepspeed_value_mismatch(plan: Plan, ctx: Context) -> Iterator[Finding]:
    for value in ctx.facts.deepspeed_values:
        trainer = _mismatch(value, plan, ctx)
        if trainer is None:
            continue
        shown = str(value.value).lower() if isinstance(value.value, bool) else f"{value.value:g}"
        yield Finding(
            f"DeepSpeed `{value.setting}` = {shown} but the trainer sets {trainer}: the HF "
            'Trainer stops on the mismatch; set it to "auto"',
            **_at(value.ref),
        )


@rule(
    code="TL505",
    name="qlora-sharded-quant-storage",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="QLoRA with FSDP or ZeRO-3 without a matching quant storage dtype",
    fixable="always",
    docs=RuleDocs(
        what="4-bit loading with FSDP or DeepSpeed ZeRO-3 where `bnb_4bit_quant_storage` is not "
        "the training dtype (TRL: `bnb_4bit_quant_storage` unset means uint8). axolotl and "
        "LLaMA-Factory set it themselves and are not checked.",
        why="FSDP and ZeRO-3 flatten all parameters of a wrapped block into one tensor of one "
        "dtype. bitsandbytes stores 4-bit weights as uint8 unless told otherwise, so sharding "
        "fails with 'Must flatten tensors with uniform dtype but got torch.bfloat16 and "
        "torch.uint8' (or ZeRO-3 cannot partition them).",
        example="load_in_4bit: true\nuse_peft: true\nbf16: true\nfsdp: full_shard auto_wrap",
        fix="Set `bnb_4bit_quant_storage` to the training dtype (`bfloat16` with bf16).",
        fix_safety="Safe: it only changes how the packed 4-bit weights are stored.",
        references=(
            "https://github.com/axolotl-ai-cloud/axolotl/issues/1494",
            "https://github.com/huggingface/trl/issues/1723",
            "https://github.com/bitsandbytes-foundation/bitsandbytes/pull/1148",
            "https://github.com/huggingface/trl/pull/1854",
        ),
    ),
)
def qlora_sharded_quant_storage(plan: Plan, ctx: Context) -> Iterator[Finding]:
    key = ctx.facts.quant_storage_key
    if key is None or plan.effective_quantization != "4bit":
        return
    if plan.hardware.distributed not in ("fsdp", "deepspeed-zero3"):
        return
    wanted = _STORAGE_FOR.get(plan.precision or "bf16", "bfloat16")
    storage = ctx.facts.quant_storage
    if isinstance(storage, str) and storage.removeprefix("torch.") == wanted:
        return
    shown = f"`{storage}`" if storage else "unset (uint8)"
    sharding = "FSDP" if plan.hardware.distributed == "fsdp" else "ZeRO-3"
    yield Finding(
        f"4-bit weights under {sharding} need bnb_4bit_quant_storage = {wanted} (the training "
        f"dtype); it is {shown}, so sharding fails on mixed dtypes",
        QUANT,
        Fix(f"Store 4-bit weights as {wanted}", "safe", (SetValue(key.path, wanted),)),
    )


@rule(
    code="TL512",
    name="flash-attention-fp32",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="Flash attention with fp32 training",
    fixable="always",
    docs=RuleDocs(
        what="`attn_implementation: flash_attention_2` (or 3) while training in fp32 (no bf16 "
        "or fp16 mixed precision).",
        why="FlashAttention kernels exist for fp16 and bf16 only: the first forward pass stops "
        "with 'FlashAttention only support fp16 and bf16 data type'.",
        example="attn_implementation: flash_attention_2\nbf16: false",
        fix="Use `sdpa` attention (same result, no dtype restriction) — or train in bf16 where "
        "the GPU has it.",
        fix_safety="Safe: sdpa computes the same attention; only speed and memory differ.",
        references=(
            "https://github.com/unslothai/unsloth/issues/827",
            "https://github.com/Dao-AILab/flash-attention/issues/152",
            "https://github.com/QwenLM/Qwen3/issues/406",
        ),
    ),
)
def flash_attention_fp32(plan: Plan, ctx: Context) -> Iterator[Finding]:
    kernel = plan.model.attn_implementation
    if kernel in ("flash_attention_2", "flash_attention_3") and plan.precision == "fp32":
        yield Finding(
            f"{kernel} runs in fp16/bf16 only, and this config trains in fp32",
            ATTENTION,
            Fix("Use sdpa attention", "safe", (SetValue(ATTENTION, "sdpa"),)),
        )


def is_gemma_2_or_3(plan: Plan) -> bool:
    return bool(_GEMMA_2_3.search(plan.model.name))


@rule(
    code="TL513",
    name="gemma-sdpa",
    severity="warning",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="Gemma 2/3 trained with sdpa attention",
    fixable="always",
    docs=RuleDocs(
        what="A Gemma 2 or Gemma 3 model with `attn_implementation: sdpa`.",
        why="Gemma 2 and 3 soft-cap their attention logits; sdpa has no soft-capping, so training "
        "runs on different attention than the model was trained with. transformers warns 'It is "
        "strongly recommended to train Gemma2/Gemma3 models with the `eager` attention "
        "implementation instead of `sdpa`'; loss curves diverge from eager runs.",
        example="base_model: google/gemma-2-9b\nattn_implementation: sdpa",
        fix="Use `eager` attention (or a flash-attention build with soft-capping).",
        fix_safety="Safe: eager is the reference implementation; it is slower and uses more "
        "memory for long sequences.",
        references=(
            "https://github.com/unslothai/unsloth/issues/2025",
            "https://github.com/hiyouga/LlamaFactory/issues/7416",
            "https://github.com/NVIDIA-NeMo/Automodel/pull/2199",
        ),
    ),
)
def gemma_sdpa(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.model.attn_implementation == "sdpa" and is_gemma_2_or_3(plan):
        yield Finding(
            "Gemma 2/3 soft-caps attention logits, which sdpa does not: train with eager attention",
            ATTENTION,
            Fix("Use eager attention", "safe", (SetValue(ATTENTION, "eager"),)),
        )


@rule(
    code="TL514",
    name="gemma-fp16",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="Gemma 2/3 trained in fp16",
    fixable="always",
    docs=RuleDocs(
        what="A Gemma 2 or Gemma 3 model with `precision: fp16`.",
        why="Gemma's large RMSNorm weights and post-norms push activations past fp16's 65,504: "
        "the loss or gradient norm turns NaN within a few steps. The models were trained in bf16; "
        "fp16 is known broken for them.",
        example="base_model: google/gemma-3-4b-it\nfp16: true",
        fix="Train in bf16 (Ampere or newer); on older GPUs, fp32.",
        fix_safety="Unsafe: bf16 needs a GPU with bf16, fp32 doubles activation memory.",
        references=(
            "https://github.com/huggingface/transformers/issues/36822",
            "https://github.com/unslothai/unsloth/pull/4014",
            "https://github.com/huggingface/transformers/issues/39972",
        ),
    ),
)
def gemma_fp16(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.precision == "fp16" and is_gemma_2_or_3(plan):
        target = _bf16_or_fp32(ctx)
        yield Finding(
            f"Gemma 2/3 overflows fp16 (NaN loss): train in {target}",
            PRECISION,
            Fix(f"Use {target}", "unsafe", (SetValue(PRECISION, target),)),
        )


@rule(
    code="TL515",
    name="deepspeed-and-fsdp",
    severity="error",
    applies_to=TRAINING,
    source=ECOSYSTEM,
    summary="DeepSpeed and FSDP configured together",
    docs=RuleDocs(
        what="A config that names a DeepSpeed JSON and also turns on FSDP (`fsdp:` / "
        "`fsdp_config`).",
        why="Both shard the model, each its own way; accelerate can run one of them. axolotl "
        "and the HF Trainer refuse the pair at start-up.",
        example="deepspeed: deepspeed_configs/zero3.json\nfsdp:\n  - full_shard",
        fix="Keep one: DeepSpeed ZeRO-3 or FSDP full sharding do the same job.",
        fix_safety="No automatic fix: which one to keep is your call.",
        references=(
            "https://github.com/axolotl-ai-cloud/axolotl/pull/1388",
            "https://github.com/h2oai/h2o-llmstudio/issues/463",
        ),
    ),
)
def deepspeed_and_fsdp(plan: Plan, ctx: Context) -> Iterator[Finding]:
    both = ctx.facts.deepspeed_and_fsdp
    if both is not None:
        deepspeed, fsdp = both
        yield Finding(
            f"`{deepspeed.label}` and `{fsdp.label}` both shard the model: use one of them",
            **_at(fsdp),
        )


@rule(
    code="TL517",
    name="full-finetune-fp16-weights",
    severity="error",
    applies_to=TRAINING_RUN,
    may_assume=(MODEL_KEYS,),
    source=ECOSYSTEM,
    summary="Full fine-tuning of fp16 weights with fp16 mixed precision",
    fixable="sometimes",
    docs=RuleDocs(
        what="Full fine-tuning with `fp16` where the weights themselves are loaded in fp16 "
        "(axolotl loads them in fp16 with `fp16: true`; TRL with `dtype: float16`).",
        why="fp16 mixed precision keeps fp32 master weights and scales the loss; with fp16 "
        "weights the gradients are fp16 too, and the grad scaler stops with 'Attempting to "
        "unscale FP16 gradients'. (With LoRA only the fp32 adapter trains, so it works.)",
        example="base_model: NousResearch/Meta-Llama-3-8B\nfp16: true\n# no adapter",
        fix="Train in bf16 (Ampere or newer); on older GPUs load fp32 weights and keep fp16 "
        "mixed precision, or train a LoRA adapter.",
        fix_safety="Unsafe: bf16 needs a GPU with bf16.",
        references=(
            "https://github.com/axolotl-ai-cloud/axolotl/issues/1031",
            "https://github.com/huggingface/transformers/issues/23165",
            "https://github.com/OpenGVLab/Ask-Anything/issues/200",
        ),
    ),
)
def full_finetune_fp16_weights(plan: Plan, ctx: Context) -> Iterator[Finding]:
    if plan.peft.kind != "full" or plan.precision != "fp16":
        return
    if ctx.facts.weights_dtype != "fp16":
        return
    fix = None
    if ctx.gpu is None or ctx.gpu.bf16:
        fix = Fix("Use bf16", "unsafe", (SetValue(PRECISION, "bf16"),))
    yield Finding(
        "full fine-tuning with fp16 weights: the fp16 grad scaler fails ('Attempting to unscale "
        "FP16 gradients'); use bf16, or fp32 weights with fp16 mixed precision",
        PRECISION,
        fix,
        assumed=_model_keys(ctx),
    )
