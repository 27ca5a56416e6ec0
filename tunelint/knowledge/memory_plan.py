"""The memory estimate of a Plan: Plan -> MemoryScenario, the report the CLI and the rules
use, and what-ifs (gradient checkpointing, QLoRA, the largest micro-batch and the longest
sequence that fit)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects.facts import TUNELINT
from tunelint.knowledge import trainer_defaults
from tunelint.knowledge.memory import (
    GIB,
    Attention,
    Dtype,
    MemoryEstimate,
    MemoryScenario,
    Quant,
    estimate_memory,
)
from tunelint.knowledge.memory_deepspeed import deepspeed_inputs, read_deepspeed_json
from tunelint.knowledge.memory_stack import (
    BNB_QUANT,
    LoadedWeights,
    fused_lm_head,
    kbit_upcast,
    loaded_weights,
)
from tunelint.knowledge.models import ModelSpec, lookup_model

if TYPE_CHECKING:
    from tunelint.config.plan import Plan
    from tunelint.config.versions import ResolvedVersion
    from tunelint.knowledge.gpus import GpuSpec

PlanPath = tuple[str, ...]
MAX_MICRO_BATCH = 1024
SEQ_STEP = 128  # what-if sequence lengths are multiples of this
MAX_SEQ = 1 << 20

_ATTENTION: dict[str | None, Attention] = {
    None: "sdpa",
    "sdpa": "sdpa",
    "eager": "eager",
    "flash_attention_2": "flash",
    "flash_attention_3": "flash",
}


def _precision(plan: Plan, gpu: GpuSpec | None) -> Dtype:
    if plan.precision is not None:
        return plan.precision
    # The Plan's documented default: bf16 where the GPU has it, else fp32.
    return "bf16" if gpu is None or gpu.bf16 else "fp32"


def scenario_from_plan(
    plan: Plan,
    model: ModelSpec,
    *,
    gpu: GpuSpec | None = None,
    gpu_count: int | None = None,
    reward_model: ModelSpec | None = None,
    facts: Mapping[str, Any] | None = None,
    deepspeed_json: Mapping[str, Any] | None = None,
    teacher_model: ModelSpec | None = None,
    loaded: LoadedWeights | None = None,
) -> MemoryScenario:
    """How a Plan trains, as the estimator's scenario (TRL 1.x on transformers 5 semantics).

    `gpu_count` is the total number of GPUs (per node times nodes); default from the Plan.
    `deepspeed_json` is the DeepSpeed JSON the config names, read as written.
    `teacher_model`: the distillation teacher `method.teacher_model` names, resolved.
    `loaded`: the dtype the training stack loads the model in (memory_stack.loaded_weights);
    None: the stated `weights_dtype` fact for adapters, else the precision.
    """
    facts = facts or {}
    precision = _precision(plan, gpu)
    quant_setting = plan.effective_quantization
    quant: Quant = {"4bit": "nf4", "8bit": "int8"}.get(quant_setting, "none")  # type: ignore[assignment]
    peft_kind = plan.peft.kind
    distributed = plan.hardware.distributed
    zero3 = distributed == "deepspeed-zero3"
    deepspeed = distributed.startswith("deepspeed")
    full = peft_kind == "full"
    weight_dtype: Dtype = precision
    autocast = False
    stated = facts.get("weights_dtype")
    if full and precision == "fp16" and not deepspeed:
        # fp16 parameters cannot be trained with the AMP grad scaler: fp32 weights + autocast.
        weight_dtype, autocast = "fp32", True
    elif loaded is not None:
        weight_dtype, autocast = loaded.dtype, loaded.autocast  # type: ignore[assignment]
    elif stated in ("fp16", "bf16", "fp32") and not full:
        weight_dtype = stated
    if quant != "none" and precision == "fp32":
        weight_dtype = "bf16"
    method = {"lora": "lora", "qlora": "lora", "adapters": "lora"}.get(peft_kind, peft_kind)
    adapter_count = 1
    if peft_kind == "adapters":
        adapter_count = len(plan.peft.task_names or ()) or plan.intent.tasks
    targets = plan.peft.target_modules
    target_tuple: str | tuple[str, ...] = targets if isinstance(targets, str) else tuple(targets)
    # TRL casts QLoRA adapters to bf16, and keeps them in the base dtype under ZeRO-3.
    adapter_dtype: Dtype = "bf16" if quant != "none" or zero3 else "fp32"
    count = gpu_count if gpu_count is not None else plan.hardware.count * plan.hardware.nodes
    # LLaMA-Factory PPO loads one base with a value head and, by default
    # (reward_model_type: lora), the reward model as a LoRA adapter on that base.
    llamafactory_ppo = facts.get("trainer") == "llamafactory" and plan.method.kind == "ppo"
    scn = MemoryScenario(
        model=model,
        micro_batch_size=plan.training.micro_batch_size,
        seq_len=plan.model.max_seq_len,
        method=plan.method.kind,
        peft=method,  # type: ignore[arg-type]
        lora_r=plan.peft.r,
        target_modules=target_tuple,
        lora_dropout=plan.peft.dropout,
        num_virtual_tokens=plan.peft.num_virtual_tokens,
        adapter_count=adapter_count,
        weight_dtype=weight_dtype,
        autocast=autocast,
        adapter_dtype=adapter_dtype,
        quantization=quant,
        double_quant=True,
        gradient_checkpointing=plan.training.gradient_checkpointing,
        attention=_ATTENTION.get(plan.model.attn_implementation, "sdpa"),
        padded_batch=False if plan.training.sample_packing else None,
        optimizer=plan.training.optimizer,
        gradient_accumulation_steps=plan.training.gradient_accumulation_steps,
        gpu_count=max(1, count),
        distributed=distributed,
        cpu_offload=plan.hardware.cpu_offload,
        beta=plan.method.beta,
        precompute_ref_log_probs=plan.method.precompute_ref_log_probs,
        reward_model=reward_model,
        chunked_loss=plan.training.chunked_loss,
        optimizer_in_backward=plan.training.optimizer_in_backward,
        activation_offloading=plan.training.activation_offloading,
        compile=plan.training.compile,
        modules_to_save=tuple(plan.peft.modules_to_save or ()),
        value_head_shared=llamafactory_ppo,
        reward_adapter=llamafactory_ppo,
        gpu_memory_gib=gpu.memory_gib if gpu is not None else None,
        vllm_mode=plan.method.vllm_mode,
        vllm_gpu_memory_utilization=(
            plan.method.vllm_gpu_memory_utilization or trainer_defaults.VLLM_GPU_MEMORY_UTILIZATION
        ),
        teacher_model=teacher_model,
    )
    if deepspeed_json:
        scn = replace(scn, **deepspeed_inputs(deepspeed_json, model.hidden_size))
    return scn


def estimate_peak_memory(
    plan: Plan,
    model: ModelSpec,
    gpu_count: int | None = None,
    *,
    gpu: GpuSpec | None = None,
    reward_model: ModelSpec | None = None,
    teacher_model: ModelSpec | None = None,
) -> MemoryEstimate:
    """Estimated peak memory per GPU of training `plan` on `model` (see memory.py)."""
    return estimate_memory(
        scenario_from_plan(
            plan,
            model,
            gpu=gpu,
            gpu_count=gpu_count,
            reward_model=reward_model,
            teacher_model=teacher_model,
        )
    )


# --- what-ifs -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WhatIf:
    """The estimate after some Plan edits."""

    label: str
    edits: tuple[tuple[PlanPath, Any], ...]
    per_gpu_gib: float
    fits: bool | None

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "edits": {".".join(path): value for path, value in self.edits},
            "per_gpu_gib": round(self.per_gpu_gib, 3),
            "fits": self.fits,
        }


def _fits(scn: MemoryScenario, capacity_gib: float) -> bool:
    return estimate_memory(scn).per_gpu_bytes <= capacity_gib * GIB


def largest_true(pred: Callable[[int], bool], limit: int) -> int | None:
    """The largest n in 1..limit with pred(n), for a pred that holds up to some n and not
    after (None: not even 1): doubling, then bisection."""
    if not pred(1):
        return None
    lo, hi = 1, 2
    while hi <= limit and pred(hi):
        lo, hi = hi, hi * 2
    hi = min(hi, limit + 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            lo = mid
        else:
            hi = mid
    return lo


def largest_micro_batch(scn: MemoryScenario, capacity_gib: float) -> int | None:
    """The largest micro-batch size that fits (None: not even 1)."""
    return largest_true(
        lambda n: _fits(replace(scn, micro_batch_size=n), capacity_gib), MAX_MICRO_BATCH
    )


def longest_sequence(
    scn: MemoryScenario, capacity_gib: float, limit: int | None = None
) -> int | None:
    """The longest sequence (a multiple of 128, up to `limit`) that fits (None: not 128)."""
    steps = largest_true(
        lambda k: _fits(replace(scn, seq_len=k * SEQ_STEP), capacity_gib),
        (limit or MAX_SEQ) // SEQ_STEP,
    )
    return None if steps is None else steps * SEQ_STEP


def what_ifs(plan: Plan, scn: MemoryScenario, capacity_gib: float | None) -> list[WhatIf]:
    """Gradient checkpointing, QLoRA, both, and a micro-batch split that keeps the batch."""
    out: list[WhatIf] = []

    def add(label: str, edits: tuple[tuple[PlanPath, Any], ...], new: MemoryScenario) -> None:
        gib = estimate_memory(new).per_gpu_gib
        out.append(WhatIf(label, edits, gib, None if capacity_gib is None else gib <= capacity_gib))

    gc_edit = ((("training", "gradient_checkpointing"), True),)
    if not scn.gradient_checkpointing:
        add("with gradient checkpointing", gc_edit, replace(scn, gradient_checkpointing=True))
    if scn.micro_batch_size > 1:
        edits, new = halve_micro_batch(plan, scn)
        add(
            f"micro-batch {new.micro_batch_size} x {new.gradient_accumulation_steps} "
            "accumulation steps (same effective batch)",
            edits,
            new,
        )
    if plan.peft.kind != "qlora" and scn.quantization == "none":
        q_edits, q_scn = to_qlora(plan, scn)
        add("with QLoRA (4-bit base, LoRA adapters)", q_edits, q_scn)
        if not scn.gradient_checkpointing:
            add(
                "with QLoRA and gradient checkpointing",
                q_edits + gc_edit,
                replace(q_scn, gradient_checkpointing=True),
            )
    return out


def halve_micro_batch(
    plan: Plan, scn: MemoryScenario
) -> tuple[tuple[tuple[PlanPath, Any], ...], MemoryScenario]:
    """Half the micro-batch, twice the accumulation: the same effective batch."""
    mbs = max(1, scn.micro_batch_size // 2)
    ga = plan.training.gradient_accumulation_steps * scn.micro_batch_size // mbs
    edits = (
        (("training", "micro_batch_size"), mbs),
        (("training", "gradient_accumulation_steps"), ga),
    )
    return edits, replace(scn, micro_batch_size=mbs, gradient_accumulation_steps=ga)


def to_qlora(
    plan: Plan, scn: MemoryScenario
) -> tuple[tuple[tuple[PlanPath, Any], ...], MemoryScenario]:
    edits: tuple[tuple[PlanPath, Any], ...] = ((("peft", "kind"), "qlora"),)
    if plan.model.quantization == "none":
        edits += ((("model", "quantization"), "4bit"),)
    weight: Dtype = scn.weight_dtype if scn.weight_dtype != "fp32" else "bf16"
    new = replace(
        scn,
        peft="lora",
        quantization="nf4",
        adapter_dtype="bf16",
        weight_dtype=weight,
        autocast=False,
        adapter_count=1,
    )
    return edits, new


# --- the report -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MemoryReport:
    """A Plan's memory estimate on its GPU, or why there is none."""

    estimate: MemoryEstimate | None
    model: ModelSpec | None
    reason: str | None = None
    gpu_name: str | None = None
    capacity_gib: float | None = None
    gpu_count: int = 1
    scenario: MemoryScenario | None = None
    model_via: str = "catalog"
    # The model was assumed (a path not on this machine read by its folder name): the memory
    # findings name it and are never errors.
    model_assumed: str | None = None
    gpu_count_stated: bool = True
    smallest_gpu_count: int | None = None  # when the count is not stated and the run shards

    @property
    def fits(self) -> bool | None:
        if self.estimate is None or self.capacity_gib is None:
            return None
        return self.estimate.per_gpu_gib <= self.capacity_gib

    @property
    def headroom_gib(self) -> float | None:
        if self.estimate is None or self.capacity_gib is None:
            return None
        return self.capacity_gib - self.estimate.per_gpu_gib

    def summary(self) -> str:
        """One line for hover text and messages: the peak, the verdict, the largest part."""
        if self.estimate is None:
            return f"memory estimate skipped: {self.reason}"
        est = self.estimate
        largest = est.largest
        text = f"estimated peak {est.per_gpu_gib:.1f} GiB per GPU"
        if self.capacity_gib is not None and self.gpu_name:
            count = f" x {self.gpu_count}" if self.gpu_count > 1 else ""
            if self.smallest_gpu_count is not None:
                count = f" x {self.gpu_count} (the fewest that fit; no count stated)"
            head = self.capacity_gib - est.per_gpu_gib
            verdict = f"fits, {head:.1f} GiB headroom" if head >= 0 else f"{-head:.1f} GiB over"
            text += f" on {self.gpu_name}{count} ({self.capacity_gib:g} GiB): {verdict}"
        return f"{text}; largest: {largest.name.replace('_', ' ')} {largest.gib:.1f} GiB"

    def markdown(self) -> str:
        """The breakdown as a Markdown table (hover in the language server)."""
        if self.estimate is None:
            return self.summary()
        rows = [
            f"| {c.name.replace('_', ' ')} | {c.gib:.2f} |"
            for c in self.estimate.components
            if c.bytes
        ]
        return "\n".join(
            [
                f"**{self.summary()}**",
                "",
                "| component | GiB |",
                "|---|---:|",
                *rows,
                "",
                "`tunelint estimate` shows what-ifs and the assumptions.",
            ]
        )


def plan_report(
    plan: Plan,
    gpu: GpuSpec | None = None,
    gpu_count: int | None = None,
    *,
    search_paths: tuple[Path | str, ...] = (),
    facts: Mapping[str, Any] | None = None,
    deepspeed_json: Mapping[str, Any] | None = None,
    count_stated: bool | None = None,
    config_file: Path | None = None,
    notes: tuple[str, ...] = (),
    trainer_version: ResolvedVersion | None = None,
) -> MemoryReport:
    """Resolve the Plan's model (and reward model) and estimate; never raises on a miss.

    `deepspeed_json`: the DeepSpeed JSON the Plan names, when the caller read it; else it is
    read here, found from `config_file` (memory_deepspeed.read_deepspeed_json). `notes`:
    assumptions the caller made (printed with the estimate). `trainer_version`: the version
    of the framework that trains (tunelint.config.versions), which decides what the stack
    upcasts (memory_stack.py).
    `count_stated`: whether the GPU count is known (None: the Plan states `hardware.count`
    or `nodes`, or a count other than the Plan's was passed). A run that shards with no
    known count is estimated at the smallest count that fits, not at one GPU.
    """
    capacity = gpu.memory_gib if gpu is not None else None
    name = gpu.name if gpu is not None else None
    lookup = lookup_model(plan.model.name, search_paths)
    planned = plan.hardware.count * plan.hardware.nodes
    count = gpu_count if gpu_count is not None else planned
    if count_stated is None:
        written = plan.hardware.model_fields_set & {"count", "nodes"}
        count_stated = bool(written) or count != planned
    if lookup.spec is None:
        return MemoryReport(None, None, lookup.reason, name, capacity, count)
    unsupported = lookup.spec.estimate_unsupported
    if unsupported:  # known model, but no honest activation formula for its layers
        return MemoryReport(None, lookup.spec, unsupported, name, capacity, count)
    notes_list = [*lookup.notes, *notes]  # an assumed model, an adapter repo's base
    reference = plan.hardware.deepspeed_config
    if deepspeed_json is None and reference:
        deepspeed_json, unread = read_deepspeed_json(reference, config_file)
        if unread:
            notes_list.append(unread)
    reward = None
    if plan.method.reward_model:
        reward = lookup_model(plan.method.reward_model, search_paths).spec
    teacher = None
    if plan.method.teacher_model:
        teacher = lookup_model(plan.method.teacher_model, search_paths).spec
        if teacher is None:
            # An unknown teacher still takes memory: at least the student's size (a lower
            # bound: teachers are usually larger), and the estimate says so.
            teacher = lookup.spec
            notes_list.append(
                f"teacher model {plan.method.teacher_model} not resolved: assumed the "
                "trained model's size (a lower bound)"
            )
    version = trainer_version.version if trainer_version else None
    version_known = trainer_version.exact if trainer_version else True
    trainer = (facts or {}).get("trainer")
    # Without facts the training stack is not known (a Plan built in code, `tunelint init`
    # before it picks a format): the weights in the precision, full logits.
    stack_known = facts is not None
    loaded = None
    if stack_known:
        # tunelint's own format trains through its runner, which loads the model itself.
        runner = facts.get("loader") == TUNELINT  # type: ignore[union-attr]
        loaded = loaded_weights(
            "native" if runner else trainer,
            version,
            full=plan.peft.kind == "full",
            precision=_precision(plan, gpu),
            stated=facts.get("weights_dtype"),  # type: ignore[union-attr]
            deepspeed=plan.hardware.distributed.startswith("deepspeed"),
            version_known=version_known,
        )
        if loaded.note:
            notes_list.append(loaded.note)
    scn = scenario_from_plan(
        plan,
        lookup.spec,
        gpu=gpu,
        gpu_count=count,
        reward_model=reward,
        facts=facts,
        deepspeed_json=deepspeed_json,
        teacher_model=teacher,
        loaded=loaded,
    )
    if plan.method.reward_model and reward is None:
        scn = replace(scn, reward_model=lookup.spec)
    # What the stack does to a bitsandbytes base: asked for NF4 whatever the Plan quantizes,
    # so the "with QLoRA" what-if inherits it; said only where the run is quantized.
    stack = kbit_upcast(
        trainer,
        version,
        "nf4",
        scn.distributed in ("fsdp", "deepspeed-zero3"),
        version_known=version_known,
    )
    scn = replace(scn, kbit_upcast=stack.upcast)
    if stack.note and scn.quantization in BNB_QUANT:
        notes_list.append(stack.note)
    head = fused_lm_head(trainer, version, scn.method, scn.chunked_loss)
    if stack_known and head.fused and scn.model.head == "causal-lm":
        scn = replace(scn, fused_lm_head=True)
        notes_list.append(head.note or "")
    scn, data_note = _with_data_lengths(plan, scn, config_file, search_paths)
    if data_note:
        notes_list.append(data_note)
    smallest = None
    if not count_stated and shards(scn):
        scn, smallest, note = _at_smallest_count(scn, capacity)
        count = scn.gpu_count
        notes_list.append(note)
    estimate = estimate_memory(scn)
    if plan.method.reward_model and reward is None:
        notes_list.append(
            f"reward model {plan.method.reward_model} not resolved: assumed the policy's size"
        )
    if notes_list:
        estimate = replace(estimate, assumptions=(*estimate.assumptions, *notes_list))
    return MemoryReport(
        estimate,
        lookup.spec,
        None,
        name,
        capacity,
        count,
        scn,
        lookup.via,
        model_assumed=lookup.assumed,
        gpu_count_stated=count_stated,
        smallest_gpu_count=smallest,
    )


def _with_data_lengths(
    plan: Plan,
    scn: MemoryScenario,
    config_file: Path | None,
    search_paths: tuple[Path | str, ...],
) -> tuple[MemoryScenario, str | None]:
    """Unpacked runs on a local data file: sequences as long as the longest sample after
    truncation at max_seq_len (memory_data.py), not max_seq_len itself."""
    if plan.data is None or plan.training.sample_packing:
        return scn, None
    from tunelint.config.dialects.related import resolve_reference
    from tunelint.knowledge.memory_data import data_lengths, find_tokenizer

    train = plan.data.train
    if config_file is not None:
        path = resolve_reference(str(config_file), train)
    else:
        path = Path(train) if Path(train).is_file() else None
    lengths = data_lengths(path, find_tokenizer(plan.model.name, search_paths)) if path else None
    if lengths is None:
        return scn, None
    limit = plan.model.max_seq_len
    seq = max(1, min(limit, lengths.longest_tokens))
    read = f"{lengths.records:,} records" + ("" if lengths.complete else ", a prefix of the file")
    cut = f"truncated at max_seq_len {limit:,}" if seq == limit else f"not max_seq_len {limit:,}"
    note = (
        f"data {train}: longest sample {lengths.longest_tokens:,} tokens ({read}; counted "
        f"with {lengths.counted_with}): sequences of {seq:,} tokens, {cut}"
    )
    return replace(scn, seq_len=seq, seq_len_from_data=True), note


# --- GPU count ------------------------------------------------------------------------------
MAX_GPUS = 1024


def shards(scn: MemoryScenario) -> bool:
    """Whether the strategy divides model states by the GPU count (ZeRO, FSDP)."""
    return scn.distributed == "fsdp" or scn.distributed.startswith("deepspeed")


def smallest_gpu_count(scn: MemoryScenario, capacity_gib: float) -> int | None:
    """The fewest GPUs (up to MAX_GPUS) on which the sharded run fits (None: not even then)."""
    too_few = largest_true(lambda n: not _fits(replace(scn, gpu_count=n), capacity_gib), MAX_GPUS)
    if too_few is None:
        return 1
    return too_few + 1 if too_few < MAX_GPUS else None


def _at_smallest_count(
    scn: MemoryScenario, capacity_gib: float | None
) -> tuple[MemoryScenario, int | None, str]:
    stage = scn.distributed
    if capacity_gib is None:
        return scn, None, f"GPU count not stated: {stage} shards over the GPUs; estimated for 1"
    smallest = smallest_gpu_count(scn, capacity_gib)
    if smallest is None:
        return (
            replace(scn, gpu_count=MAX_GPUS),
            None,
            f"GPU count not stated: {stage} does not fit on up to {MAX_GPUS} GPUs",
        )
    note = (
        f"GPU count not stated: {stage} shards over the GPUs; estimated for {smallest}, "
        "the smallest count that fits"
    )
    return replace(scn, gpu_count=smallest), smallest, note
