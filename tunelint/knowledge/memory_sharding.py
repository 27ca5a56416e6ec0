"""Sharding over GPUs: what ZeRO-1/2/3 and FSDP divide by the GPU count, what CPU offload
moves off the GPU, and the communication buffers each strategy adds."""

from __future__ import annotations

from dataclasses import replace

from tunelint.knowledge.memory_scenario import DTYPE_BYTES, Distribution, MemoryScenario, Notes
from tunelint.knowledge.memory_states import ModelStates

# DeepSpeed ZeRO defaults (deepspeed/runtime/zero/config.py: reduce_bucket_size and
# allgather_bucket_size 5e8) and its documented footprint: overlap_comm uses 4.5x the buckets.
ZERO_BUCKET_ELEMENTS = 500_000_000
ZERO_OVERLAP_FACTOR = 4.5
# ZeRO-3 steps the optimizer per sub-group of this many elements (sub_group_size, 1e9).
ZERO3_SUB_GROUP = 1_000_000_000
# FSDP / ZeRO-3 hold the current layer's gathered parameters plus the prefetched next one.
GATHERED_LAYERS = 2


def shard_states(
    states: ModelStates, scn: MemoryScenario, dist: Distribution, notes: Notes
) -> ModelStates:
    """One GPU's share: ZeRO-1 shards optimizer states, ZeRO-2 also gradients, ZeRO-3 and
    FSDP full shard also parameters (DeepSpeed ZeRO paper, Rajbhandari et al. 2020, fig. 1);
    CPU offload then moves the offloaded states off the GPU."""
    n = dist.gpus
    opt, master, step = states.optimizer_states, states.master_weights, states.step_buffers
    grads, weights, adapter = states.gradients, states.weights, states.adapter_weights
    if dist.zero >= 1 or dist.fsdp:
        opt /= n
        master /= n
        if dist.deepspeed:
            step /= n
    if dist.zero == 3:
        step = min(step, 4.0 * ZERO3_SUB_GROUP)  # stage3.py steps one sub-group at a time
    if dist.zero >= 2 or dist.fsdp:
        grads /= n
    if dist.shards_params:
        weights /= n
        adapter /= n
    if scn.cpu_offload and (dist.deepspeed or dist.fsdp):
        on_cpu = ["optimizer states"]
        opt = master = step = 0.0
        if dist.shards_params:
            on_cpu.append("parameters")
            weights = adapter = 0.0
            if dist.fsdp:
                grads = 0.0
                on_cpu.append("gradients")
        notes.add(f"CPU offload: {', '.join(on_cpu)} in CPU RAM")
    elif scn.cpu_offload:
        notes.add("cpu_offload needs DeepSpeed or FSDP; ignored")
    if dist.fsdp:
        notes.add("FSDP full shard: parameters, gradients and optimizer states / N GPUs")
    return replace(
        states,
        weights=weights,
        adapter_weights=adapter,
        master_weights=master,
        optimizer_states=opt,
        step_buffers=step,
        gradients=grads,
    )


def communication_buffers(
    scn: MemoryScenario, dist: Distribution, trainable: int, trainable_dtype: int, notes: Notes
) -> tuple[float, str]:
    """(bytes, detail) of DDP buckets, ZeRO buckets and gathered layers."""
    spec = scn.model
    total = 0.0
    detail = ""
    if dist.shards_params:
        w = DTYPE_BYTES[scn.weight_dtype] if scn.quantization == "none" else 1
        total += GATHERED_LAYERS * spec.layer_params * w
    if dist.kind == "ddp" and dist.gpus > 1:
        # torch DDP reducer buckets: a gradient-sized copy (gradient_as_bucket_view=False).
        total += trainable * trainable_dtype
        detail = "DDP gradient buckets"
    if dist.deepspeed:
        bucket = scn.zero_bucket_elements or ZERO_BUCKET_ELEMENTS
        overlap = scn.zero_overlap_comm if scn.zero_overlap_comm is not None else dist.zero == 3
        factor = ZERO_OVERLAP_FACTOR if overlap else 1.0
        if dist.zero == 3:
            total += factor * bucket * 2
        else:
            total += factor * 2 * bucket * 2
        detail = (
            f"ZeRO-{dist.zero} communication buckets ({bucket:.0e} elements"
            + (", overlap_comm x4.5" if overlap else "")
            + ")"
        )
        if scn.zero_bucket_elements is None:
            notes.add(f"DeepSpeed buckets at their defaults ({bucket:.0e} elements)")
    if dist.shards_params:
        detail = (detail + "; " if detail else "") + f"{GATHERED_LAYERS} gathered layers"
    return total, detail
