"""The phases of a training step and which terms are alive in each: forward+backward, the
end of backward, the optimizer step and (online RL) generation. The peak is the largest."""

from __future__ import annotations

from dataclasses import dataclass

from tunelint.knowledge.memory_activations import Activations
from tunelint.knowledge.memory_scenario import (
    ONLINE_METHODS,
    MemoryComponent,
    MemoryScenario,
    Notes,
    act_bytes,
)
from tunelint.knowledge.memory_states import ModelStates

# PyTorch's caching allocator rounds blocks up (2 MiB segments, 512 B blocks) and keeps
# freed blocks cached: torch.cuda.memory_reserved() runs a few percent above the allocated
# peak. 5 % of the allocated peak.
ALLOCATOR_OVERHEAD = 0.05


def generation_kv_cache(scn: MemoryScenario, notes: Notes) -> float:
    """KV cache of the completions one device generates (online RL): TRL generates
    micro_batch x gradient_accumulation completions per device, 2 x layers x kv_dim each."""
    if scn.method not in ONLINE_METHODS or scn.vllm_mode != "none":
        return 0.0  # no generation, or vLLM generates (memory_extra_models counts it)
    spec = scn.model
    batch = scn.micro_batch_size * max(1, scn.gradient_accumulation_steps)
    notes.add(
        f"generation: {batch} sequences x {scn.seq_len} tokens of KV cache "
        "(TRL generates micro_batch x gradient_accumulation completions per device)"
    )
    return float(batch * scn.seq_len * spec.num_layers * 2 * spec.kv_dim * act_bytes(scn))


@dataclass(frozen=True, slots=True)
class Terms:
    """Every term of the estimate, per GPU, after sharding."""

    states: ModelStates
    extra: dict[str, float]
    acts: Activations
    kv_cache: float
    dist_buffers: float
    accumulating: bool  # gradients alive during the forward/backward of later micro-batches

    @property
    def static(self) -> float:
        s = self.states
        return (
            s.weights
            + s.adapter_weights
            + s.master_weights
            + s.optimizer_states
            + sum(self.extra.values())
        )


def phase_peaks(t: Terms) -> dict[str, int]:
    """Allocated bytes at each phase's peak."""
    s, acts = t.states, t.acts
    held_grads = s.gradients if t.accumulating else 0.0
    fwd_bwd = (
        t.static
        + t.dist_buffers
        + held_grads
        + acts.stored
        + acts.autocast_cache
        + max(acts.logits, acts.working)
    )
    phases = {
        "forward_backward": int(fwd_bwd),
        "backward_end": int(t.static + t.dist_buffers + s.gradients),
        "optimizer_step": int(t.static + s.gradients + s.step_buffers + t.dist_buffers),
    }
    if t.kv_cache:
        phases["generation"] = int(t.static + t.kv_cache + t.dist_buffers)
    return phases


def peak_components(
    scn: MemoryScenario,
    t: Terms,
    phase: str,
    *,
    trainable: int,
    context: float,
    overhead: float,
    details: dict[str, str],
) -> tuple[MemoryComponent, ...]:
    """The breakdown of the peak phase: terms not alive in it count zero."""
    s, acts = t.states, t.acts
    in_fwd = phase == "forward_backward"
    grads = {"forward_backward": s.gradients if t.accumulating else 0.0, "generation": 0.0}.get(
        phase, s.gradients
    )
    step = s.step_buffers if phase == "optimizer_step" else 0.0
    kv = t.kv_cache if phase == "generation" else 0.0
    full = scn.peft == "full"
    adapter_dt = details["adapter_dtype"]
    return (
        MemoryComponent("cuda_context", int(context), "per-process CUDA context and kernels"),
        MemoryComponent("weights", int(s.weights), details["weights"]),
        MemoryComponent(
            "adapter_weights",
            int(s.adapter_weights),
            f"{trainable:,} trainable parameters in {adapter_dt}" if not full else "",
        ),
        MemoryComponent("master_weights", int(s.master_weights), "fp32 master copy"),
        MemoryComponent("gradients", int(grads), f"{trainable:,} parameters"),
        MemoryComponent("optimizer_states", int(s.optimizer_states), s.optimizer_detail),
        MemoryComponent("optimizer_step_buffers", int(step), "temporaries of the step"),
        MemoryComponent(
            "activations", int(acts.stored + acts.autocast_cache) if in_fwd else 0, acts.detail
        ),
        MemoryComponent(
            "logits",
            int(acts.logits) if in_fwd and acts.logits >= acts.working else 0,
            acts.logits_detail,
        ),
        MemoryComponent(
            "backward_working_set",
            int(acts.working) if in_fwd and acts.working > acts.logits else 0,
            "gradients in flight inside one layer"
            + (" (and its recomputed activations)" if scn.gradient_checkpointing else ""),
        ),
        *(MemoryComponent(k, int(v)) for k, v in t.extra.items()),
        MemoryComponent("generation_kv_cache", int(kv)),
        MemoryComponent("distributed_buffers", int(t.dist_buffers), details["distributed"]),
        MemoryComponent(
            "allocator_overhead", int(overhead), f"{ALLOCATOR_OVERHEAD:.0%} of the allocated peak"
        ),
    )
