"""Peak GPU memory of a fine-tuning run, per component, in pure Python (no torch).

The model: what PyTorch keeps alive at the moments a training step peaks, for transformers 5
+ PEFT 0.21 + TRL 1.x on CUDA. One module per term:

- memory_states: weights (by dtype; bitsandbytes NF4/int8 or GPTQ int4 for the layers'
  nn.Linear weights), trainable parameters (memory_peft), their gradients and optimizer
  states (per optimizer, per tensor), DeepSpeed's fp32 master weights, the step's buffers;
- memory_sharding: ZeRO-1/2/3 and FSDP over N GPUs, CPU offload, communication buffers;
- memory_extra_models: reference, reward and value models;
- memory_activations: saved activations per token and layer, gradient checkpointing, the
  attention mask, autocast's weight cache and the loss spike;
- memory_phases: which terms are alive in each phase (forward+backward, end of backward,
  optimizer step, generation); the peak is the largest, and its breakdown is shown.

The caching allocator's overhead (reserved) and the CUDA context (what nvidia-smi shows)
come on top: MemoryEstimate carries all three views. Memory savers (chunked loss, optimizer
step in backward, activation offloading, torch.compile, modules_to_save) are scenario inputs,
off by default. memory_plan maps a Plan (and memory_deepspeed a DeepSpeed JSON) onto a
scenario. Every assumption made is listed with the estimate.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from tunelint.knowledge.memory_activations import Activations, activations, layer_activations
from tunelint.knowledge.memory_extra_models import extra_models
from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.memory_phases import (
    ALLOCATOR_OVERHEAD,
    Terms,
    generation_kv_cache,
    peak_components,
    phase_peaks,
)
from tunelint.knowledge.memory_scenario import (
    CUDA_CONTEXT_EAGER_GIB,
    CUDA_CONTEXT_GIB,
    GIB,
    Attention,
    Dtype,
    MemoryComponent,
    MemoryEstimate,
    MemoryScenario,
    Notes,
    OptimizerName,
    Quant,
    act_bytes,
    adapter_dtype,
    batch_shape,
    cuda_context_gib,
    distribution,
    padded,
)
from tunelint.knowledge.memory_sharding import communication_buffers, shard_states
from tunelint.knowledge.memory_states import model_states, weight_bytes

__all__ = [
    "ALLOCATOR_OVERHEAD",
    "CUDA_CONTEXT_EAGER_GIB",
    "CUDA_CONTEXT_GIB",
    "GIB",
    "Attention",
    "Dtype",
    "MemoryComponent",
    "MemoryEstimate",
    "MemoryScenario",
    "OptimizerName",
    "Quant",
    "cuda_context_gib",
    "estimate_memory",
    "layer_activations",
    "weight_bytes",
]

_NO_ACTIVATIONS = Activations(0.0, 0.0, 0.0, 0.0, "", "")


@lru_cache(maxsize=1024)
def estimate_memory(scn: MemoryScenario) -> MemoryEstimate:
    """Peak memory per GPU for a scenario: components, phases and assumptions.

    Cached: scenarios and estimates are immutable, and an editor re-lints the same config
    (and the memory rules ask for the same what-ifs) over and over."""
    notes = Notes()
    spec = scn.model
    if scn.method == "reward" and spec.head == "causal-lm":
        # Reward models are sequence classifiers: a one-logit score head, no vocabulary.
        spec = replace(spec, head="sequence-classification", num_labels=1)
        scn = replace(scn, model=spec)
        notes.add("reward model: sequence classification (score head, no vocabulary logits)")
    for note in spec.notes:
        notes.add(f"{spec.name}: {note}")
    dist = distribution(scn, notes)
    if scn.quantization != "none" and scn.peft == "full":
        notes.add("full fine-tuning of a quantized model is not possible; counted as given")
    shape = batch_shape(scn, notes)
    adapters = adapter_plan(
        spec,
        scn.peft,
        r=scn.lora_r,
        targets=scn.target_modules,
        num_virtual_tokens=scn.num_virtual_tokens,
        trainable_params=scn.trainable_params,
        trainable_embeddings=scn.trainable_embeddings,
        feedforward=scn.ia3_feedforward,
        modules_to_save=scn.modules_to_save,
    )
    for note in adapters.notes:
        notes.add(note)
    trainable = adapters.trainable_params * max(1, scn.adapter_count)
    if scn.adapter_count > 1:
        notes.add(f"{scn.adapter_count} adapters on one base, each with optimizer states")
    _weight_notes(scn, notes)

    states = model_states(scn, adapters, trainable, dist, notes)
    sharded = shard_states(states, scn, dist, notes)
    buffers, buffers_detail = communication_buffers(
        scn, dist, trainable, states.trainable_dtype_bytes, notes
    )
    extra = extra_models(scn, sharded, dist, notes)
    acts = activations(scn, adapters, shape, notes)
    kv_cache = generation_kv_cache(scn, notes)
    context = scn.cuda_context_gib * GIB if scn.include_cuda_context else 0.0

    if scn.gradient_accumulation_steps > 1 and scn.optimizer_in_backward:
        notes.add("optimizer step in backward cannot accumulate gradients (torchtune refuses)")
    elif scn.gradient_accumulation_steps > 1:
        notes.add("gradient accumulation: gradients stay allocated during later micro-batches")
    if scn.grads_persist:
        notes.add("gradients zeroed, not freed, between steps (PyTorch < 2.0 zero_grad)")
    if scn.model_states_only:
        acts, kv_cache, context = _NO_ACTIVATIONS, 0.0, 0.0
        notes.add("model states only: weights, gradients, optimizer states (no activations)")
    terms = Terms(
        states=sharded,
        extra=extra,
        acts=acts,
        kv_cache=kv_cache,
        dist_buffers=buffers,
        accumulating=(scn.gradient_accumulation_steps > 1 or scn.grads_persist)
        and not scn.optimizer_in_backward,
    )
    phases = phase_peaks(terms)
    peak_phase = max(phases, key=lambda k: phases[k])
    allocated = phases[peak_phase]
    overhead = ALLOCATOR_OVERHEAD * allocated if not scn.model_states_only else 0.0
    full = scn.peft == "full"
    components = peak_components(
        scn,
        terms,
        peak_phase,
        trainable=trainable,
        context=context,
        overhead=overhead,
        details={
            "adapter_dtype": adapter_dtype(scn),
            "weights": _weights_detail(scn),
            "distributed": buffers_detail,
        },
    )
    _general_notes(scn, notes)
    return MemoryEstimate(
        components=components,
        peak_phase=peak_phase,
        phases=phases,
        per_gpu_bytes=int(allocated + overhead + context),
        allocated_bytes=int(allocated),
        reserved_bytes=int(allocated + overhead),
        assumptions=tuple(notes.items),
        trainable_params=trainable if not full else spec.param_count(),
        total_params=spec.param_count(),
        gpu_count=dist.gpus,
    )


def _weight_notes(scn: MemoryScenario, notes: Notes) -> None:
    if scn.quantization != "nf4":
        return
    notes.add(
        "NF4: 0.5 B per layer weight + absmax per 64 "
        + ("(double-quantized)" if scn.double_quant else "(fp32)")
        + "; embeddings, lm_head, norms, biases stay in the compute dtype"
    )
    if any(not m.is_linear for m in scn.model.layer_modules()):
        notes.add(
            "bitsandbytes quantizes nn.Linear only: fused MoE expert tensors stay in "
            f"{scn.weight_dtype} (transformers 5)"
        )


def _weights_detail(scn: MemoryScenario) -> str:
    count = f"{scn.model.param_count() / 1e9:.2f}B parameters"
    if scn.quantization == "none":
        return f"{count} in {scn.weight_dtype}"
    return f"{count}: layer matrices {scn.quantization}, the rest {scn.weight_dtype}"


def _general_notes(scn: MemoryScenario, notes: Notes) -> None:
    a = act_bytes(scn)
    gqa_repeat = (
        scn.attention == "sdpa" and padded(scn) and scn.model.num_kv_heads < scn.model.num_heads
    )
    notes.add(
        f"activations in {8 * a}-bit; attention {scn.attention}"
        + (" (k/v repeated for GQA under a padding mask)" if gqa_repeat else "")
    )
    if scn.peft not in ("full", "none"):
        notes.add(f"adapter parameters in {adapter_dtype(scn)}")
    if scn.autocast and scn.weight_dtype == "fp32":
        notes.add(
            "mixed precision: fp32 weights, half-precision copies cached by autocast"
            if scn.peft == "full"
            else "mixed precision: fp32 frozen base, cast per matmul (autocast caches "
            "trainable weights only)"
        )
    if not scn.fused_lm_head or scn.chunked_loss:  # memory_stack says the fused head's note
        notes.add(
            "loss in fp32 over the full vocabulary (no chunked/fused cross-entropy)"
            if scn.loss_upcast or scn.model_upcasts_logits or scn.autocast
            else "loss computed in half precision"
        )
    if not scn.seq_len_from_data:
        notes.add("sequences padded to the full length (an upper bound for shorter data)")
