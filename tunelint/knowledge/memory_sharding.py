"""Sharding over GPUs: what ZeRO-1/2/3 and FSDP divide by the GPU count, what CPU offload
moves off the GPU, and the communication buffers each strategy adds."""

from __future__ import annotations

from dataclasses import replace

from tunelint.knowledge.memory_scenario import DTYPE_BYTES, Distribution, MemoryScenario, Notes
from tunelint.knowledge.memory_states import ModelStates
from tunelint.knowledge.models import ModelSpec

# DeepSpeed ZeRO defaults (deepspeed/runtime/zero/config.py: reduce_bucket_size and
# allgather_bucket_size 5e8) and its documented footprint: overlap_comm uses 4.5x the buckets.
ZERO_BUCKET_ELEMENTS = 500_000_000
ZERO_OVERLAP_FACTOR = 4.5
# ZeRO-3 steps the optimizer per sub-group of this many elements (sub_group_size, 1e9).
ZERO3_SUB_GROUP = 1_000_000_000
# FSDP holds the current layer's gathered parameters plus the prefetched next one
# (BackwardPrefetch.BACKWARD_PRE, its default).
GATHERED_LAYERS = 2
# ZeRO-3 defaults (deepspeed/runtime/zero/config.py): stage3_prefetch_bucket_size 5e7 and
# stage3_param_persistence_threshold 1e5 (tensors below it are never partitioned).
ZERO3_PREFETCH_ELEMENTS = 50_000_000
ZERO3_PERSISTENCE_THRESHOLD = 100_000


def hf_auto_zero_value(key: str, hidden_size: int) -> int | None:
    """What transformers 5 fills in for `"auto"` in a DeepSpeed config's zero_optimization
    (integrations/deepspeed.py HfTrainerDeepSpeedConfig.trainer_config_finalize); None for
    keys it does not fill from the model."""
    values = {
        "reduce_bucket_size": hidden_size * hidden_size,
        "stage3_prefetch_bucket_size": int(0.9 * hidden_size * hidden_size),
        "stage3_param_persistence_threshold": 10 * hidden_size,
    }
    return values.get(key)


def offloads(scn: MemoryScenario, dist: Distribution) -> tuple[bool, bool]:
    """(optimizer offloaded, parameters offloaded): DeepSpeed's offload_optimizer and
    offload_param, FSDP's CPUOffload; parameters can leave only where they are sharded."""
    if not (dist.deepspeed or dist.fsdp):
        return False, False
    optimizer = scn.offload_optimizer if scn.offload_optimizer is not None else scn.cpu_offload
    params = scn.offload_params if scn.offload_params is not None else scn.cpu_offload
    return optimizer, params and dist.shards_params


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
        # Each rank steps only its shard (ZeRO partitions; FSDP's sharded flat parameters /
        # DTensor local shards), so the step's temporaries shrink with it.
        opt /= n
        master /= n
        step /= n
    if dist.zero == 3:
        step = min(step, 4.0 * ZERO3_SUB_GROUP)  # stage3.py steps one sub-group at a time
    if dist.zero >= 2 or dist.fsdp:
        grads /= n
    if dist.shards_params:
        weights /= n
        adapter /= n
    offload_optimizer, offload_params = offloads(scn, dist)
    on_cpu = []
    if offload_optimizer:
        on_cpu.append("optimizer states")
        opt = master = step = 0.0
        if dist.deepspeed:
            # ZeRO-Offload moves each reduced gradient partition to CPU for the CPU Adam step
            # (DeepSpeed ZeRO-Offload tutorial; stage_1_and_2.py / stage3.py offload paths):
            # only the communication buckets hold gradients on the GPU.
            grads = 0.0
            on_cpu.append("gradients")
    if offload_params:
        on_cpu.append("parameters")
        weights = adapter = 0.0
        if dist.fsdp:  # FSDP's CPUOffload moves gradients with the parameters
            grads = 0.0
            on_cpu.append("gradients")
    if on_cpu:
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
    total = gathered_params(scn, dist)
    detail = ""
    if scn.model_states_only:  # DeepSpeed's estimators: no buckets, the gathered layer only
        return total, "the gathered layer" if total else ""
    if dist.kind == "ddp" and dist.gpus > 1:
        # torch DDP reducer buckets: a gradient-sized copy (gradient_as_bucket_view=False).
        total += trainable * trainable_dtype
        detail = "DDP gradient buckets"
    if dist.deepspeed:
        total += zero_bucket_bytes(scn, dist.zero)
        reduce = scn.zero_bucket_elements or ZERO_BUCKET_ELEMENTS
        overlap = _overlap(scn, dist.zero)
        detail = (
            f"ZeRO-{dist.zero} communication buckets ({reduce:.0e} elements"
            + (", overlap_comm x4.5" if overlap else "")
            + ")"
        )
        if scn.zero_bucket_elements is None:
            notes.add(f"DeepSpeed buckets at their defaults ({reduce:.0e} elements)")
    if dist.fsdp:
        detail = (detail + "; " if detail else "") + f"{GATHERED_LAYERS} gathered layers"
    elif dist.zero == 3:
        detail += "; the gathered layer, the prefetch bucket and persistent small tensors"
    return total, detail


def gathered_params(scn: MemoryScenario, dist: Distribution) -> float:
    """Bytes of sharded parameters gathered on the GPU to compute: FSDP's current and
    prefetched layers; ZeRO-3's module in use, its prefetch bucket and the small tensors
    it never partitions."""
    spec = scn.model
    w = DTYPE_BYTES[scn.weight_dtype] if scn.quantization == "none" else 1
    if dist.fsdp:
        return float(GATHERED_LAYERS * spec.layer_params * w)
    if dist.zero == 3:
        prefetch = scn.zero3_prefetch_elements
        prefetch = ZERO3_PREFETCH_ELEMENTS if prefetch is None else prefetch
        # The module in use is a whole layer or, at either end, the embedding / lm_head
        # matrix (one tensor, gathered whole), which outgrows a layer for large vocabularies.
        in_use = max(spec.layer_params, spec.vocab_size * spec.hidden_size)
        total = (in_use + min(prefetch, spec.layer_params)) * w
        return float(total + persistent_params(spec, scn.zero3_persistence_threshold) * w)
    return 0.0


def _overlap(scn: MemoryScenario, zero: int) -> bool:
    # DeepSpeedZeroConfig.overlap_comm: None means True for stage 3, False below.
    return scn.zero_overlap_comm if scn.zero_overlap_comm is not None else zero == 3


def zero_bucket_bytes(scn: MemoryScenario, zero: int) -> float:
    """ZeRO's communication buffers in half precision: stages 1-2 hold an allgather and a
    reduce bucket, x4.5 with overlap_comm (DeepSpeed docs, zero config: "overlap_comm uses
    4.5x the allgather_bucket_size and reduce_bucket_size values"); stage 3 the reduce one."""
    reduce = scn.zero_bucket_elements or ZERO_BUCKET_ELEMENTS
    factor = ZERO_OVERLAP_FACTOR if _overlap(scn, zero) else 1.0
    if zero == 3:
        return factor * reduce * 2
    allgather = scn.zero_allgather_bucket_elements or reduce
    return factor * (allgather + reduce) * 2


def persistent_params(spec: ModelSpec, threshold: int | None) -> int:
    """Parameters ZeRO-3 never partitions: tensors smaller than the persistence threshold
    (norm weights, biases), kept whole on every GPU."""
    limit = ZERO3_PERSISTENCE_THRESHOLD if threshold is None else threshold
    norms = spec.norms_per_layer
    per_norm = spec.norm_params_per_layer // norms if norms else 0
    small = norms * per_norm if 0 < per_norm < limit else 0
    small += sum(m.bias_params for m in spec.layer_modules() if 0 < m.out_features < limit)
    return spec.num_layers * small
