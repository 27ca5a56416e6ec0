"""Model states: the weights, the trainable parameters, their gradients and optimizer states
(before any sharding over GPUs; memory_sharding.py divides them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tunelint.knowledge.memory_peft import AdapterPlan, TrainableTensor
from tunelint.knowledge.memory_scenario import (
    DTYPE_BYTES,
    Distribution,
    Dtype,
    MemoryScenario,
    Notes,
    OptimizerName,
    Quant,
    adapter_dtype,
    kbit_upcast,
)
from tunelint.knowledge.models import LinearModule, ModelSpec

# bitsandbytes NF4 (bitsandbytes/functional.py quantize_4bit): 4-bit codes + one absmax per
# 64-weight block (fp32, or with double quantization 8-bit absmax + an fp32 scale per 256).
NF4_BLOCK = 64
NF4_DOUBLE_QUANT_GROUP = 256
# GPTQ int4 (auto-gptq QuantLinear): 4-bit codes + per 128-column group an fp16 scale and a
# packed 4-bit zero point, plus an int32 g_idx per input column.
GPTQ_GROUP = 128
# HQQ (transformers HqqConfig, group_size 64 by default): codes of `nbits` bits plus a
# half-precision scale and zero point per group when they are not themselves quantized.
HQQ_GROUP = 64
# bitsandbytes 8-bit optimizers (bitsandbytes/optim/optimizer.py): blockwise quantized
# states (256-value blocks, fp32 absmax); tensors under 4096 values keep 32-bit states.
BNB_OPTIM_BLOCK = 256
BNB_MIN_8BIT_SIZE = 4096


# --- weights ------------------------------------------------------------------------------
def _quantized_bytes(m: LinearModule, quant: Quant, double_quant: bool) -> float:
    """Bytes of one module's weight matrix (all copies) under a quantization scheme."""
    n = m.weight_params
    if quant == "nf4":
        blocks = n / NF4_BLOCK
        if double_quant:
            return n / 2 + blocks + 4 * blocks / NF4_DOUBLE_QUANT_GROUP
        return n / 2 + 4 * blocks
    if quant == "int8":
        return n + 4 * m.out_features * m.count  # LLM.int8: one fp32 scale per output row
    if quant == "gptq-int4":
        groups = n / GPTQ_GROUP
        return n / 2 + 2.5 * groups + 4 * m.in_features * m.count  # scales, zeros, g_idx
    if quant == "hqq-int2":
        return n / 4 + 2 * 2 * n / HQQ_GROUP
    raise ValueError(quant)


def weight_bytes(
    spec: ModelSpec, dtype: Dtype, quant: Quant = "none", double_quant: bool = True
) -> int:
    """Bytes of the model's weights: quantized layer matrices, the rest in `dtype`."""
    b = DTYPE_BYTES[dtype]
    total = spec.param_count()
    if quant == "none":
        return total * b
    quantized = [m for m in spec.layer_modules() if m.is_linear]
    layers = spec.num_layers
    q_params = sum(m.layer_count(layers) * m.weight_params for m in quantized)
    q_bytes = sum(
        m.layer_count(layers) * _quantized_bytes(m, quant, double_quant) for m in quantized
    )
    return int((total - q_params) * b + q_bytes)


# --- optimizer -----------------------------------------------------------------------------
def optimizer_state_bytes(
    tensors: AdapterPlan,
    optimizer: OptimizerName,
    state_bytes: Callable[[TrainableTensor], int],
    spec: ModelSpec,
) -> tuple[float, float, str]:
    """(state bytes, step-buffer bytes, detail); `state_bytes` gives a tensor's state dtype."""
    if optimizer in ("adamw_torch", "adamw_torch_fused", "paged_adamw_32bit"):
        # torch/optim/adamw.py: exp_avg and exp_avg_sq per parameter, in its dtype.
        states = sum(2 * state_bytes(t) * t.numel for t in tensors.tensors)
        # torch's foreach AdamW (_multi_tensor_adam) allocates sqrt(exp_avg_sq) for all
        # parameters at once; the fused kernel works in place.
        step = 0.0
        if optimizer == "adamw_torch":
            step = sum(state_bytes(t) * t.numel for t in tensors.tensors)
        return states, step, "AdamW: 2 states per trainable parameter, in its dtype"
    if optimizer in ("adamw_8bit", "paged_adamw_8bit"):
        states = 0.0
        for t in tensors.tensors:
            per_tensor = t.numel // max(t.count, 1)
            if t.name != "all" and per_tensor < BNB_MIN_8BIT_SIZE:
                states += 2 * 4 * t.numel
            else:  # full fine-tuning: nearly every tensor is large
                states += 2 * t.numel * (1 + 4 / BNB_OPTIM_BLOCK)
        return states, 0.0, "8-bit AdamW: 2 blockwise-quantized states (~2 B per parameter)"
    if optimizer == "adafactor":
        return _adafactor_bytes(tensors, state_bytes, spec)
    if optimizer == "sgd":
        return 0.0, 0.0, "SGD without momentum (transformers' default): no state"
    raise ValueError(optimizer)


def _adafactor_bytes(
    tensors: AdapterPlan, state_bytes: Callable[[TrainableTensor], int], spec: ModelSpec
) -> tuple[float, float, str]:
    """transformers' Adafactor: factored second moment (row + column) per matrix, full-size
    for vectors, no first moment (beta1=None)."""
    states = 0.0
    for t in tensors.tensors:
        sb = state_bytes(t)
        if t.name == "all":
            states += _adafactor_full_model(spec) * sb
        elif len(t.shape) >= 2:
            states += (t.shape[0] + t.shape[1]) * sb * t.count
        else:
            states += t.numel * sb
    # transformers' Adafactor works on an fp32 copy of each parameter and its gradient.
    largest = largest_tensor_numel(tensors, spec)
    return states, 8.0 * largest, "Adafactor: factored second moment, no first moment"


def largest_tensor_numel(tensors: AdapterPlan, spec: ModelSpec) -> int:
    """Values of the largest single trainable tensor (full fine-tuning: the embedding or the
    largest layer matrix)."""
    largest = 0
    for t in tensors.tensors:
        if t.name == "all":
            largest = max(
                largest,
                spec.vocab_size * spec.hidden_size,
                *(m.weight_params // m.count for m in spec.layer_modules()),
            )
        else:
            largest = max(largest, t.numel // max(t.count, 1))
    return largest


def _adafactor_full_model(spec: ModelSpec) -> int:
    values = 0
    for m in spec.layer_modules():
        values += (m.in_features + m.out_features) * m.count * m.layer_count(spec.num_layers)
    values += spec.norm_params_per_layer * spec.num_layers
    values += 2 * (spec.vocab_size + spec.hidden_size)  # embedding and lm_head matrices
    return values


# --- the states of one model ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ModelStates:
    """Bytes of the model's states on one GPU (before sharding, or after memory_sharding)."""

    weights: float  # the frozen base (or, full fine-tuning, the trained weights)
    adapter_weights: float
    master_weights: float  # DeepSpeed's fp32 copy of half-precision trainable weights
    optimizer_states: float
    step_buffers: float  # temporaries of the optimizer step
    gradients: float
    trainable_dtype_bytes: int
    state_dtype_bytes: int
    optimizer_detail: str


def model_states(
    scn: MemoryScenario, adapters: AdapterPlan, trainable: int, dist: Distribution, notes: Notes
) -> ModelStates:
    """Weights, trainable parameters, gradients and optimizer states of the trained model."""
    spec = scn.model
    # prepare_model_for_kbit_training holds the non-quantized parameters in fp32.
    rest: Dtype = "fp32" if kbit_upcast(scn) else scn.weight_dtype
    base = weight_bytes(spec, rest, scn.quantization, scn.double_quant)
    w = DTYPE_BYTES[scn.weight_dtype]
    full = scn.peft == "full"
    if full:
        # DeepSpeed's bf16/fp16 engines hold the model in half precision (runtime/engine.py).
        trainable_dtype = w if not dist.deepspeed else 2 if scn.weight_dtype != "fp32" else 4
        adapter = 0.0
    else:
        trainable_dtype = DTYPE_BYTES[adapter_dtype(scn)]
        adapter = float(trainable * trainable_dtype)
    # modules_to_save copies are deep copies of base modules: they keep the base dtype, not
    # the adapters' (PEFT 0.21 cast_adapter_dtype upcasts BaseTunerLayer parameters only).
    copies = max(1, scn.adapter_count) * sum(
        t.numel for t in adapters.tensors if t.name.endswith(".copy")
    )
    adapter += copies * (w - trainable_dtype)
    master = 0.0
    if dist.deepspeed and (full or trainable) and trainable_dtype < 4:
        # DeepSpeed's mixed-precision optimizers keep fp32 master weights (bf16_optimizer.py).
        master = 4.0 * trainable
        notes.add("DeepSpeed keeps fp32 master weights and fp32 optimizer states")

    def state_dtype(t: TrainableTensor) -> int:
        # torch optimizers keep states in the parameter's dtype; modules_to_save copies keep
        # the base dtype; DeepSpeed's optimizer works on fp32 master weights.
        if dist.deepspeed:
            return 4
        return w if t.name.endswith(".copy") else trainable_dtype

    opt, step, detail = optimizer_state_bytes(adapters, scn.optimizer, state_dtype, spec)
    opt *= max(1, scn.adapter_count)
    if scn.optimizer.startswith("paged"):
        notes.add(
            "paged optimizer states counted on the GPU (they move to CPU only under pressure)"
        )
    if dist.deepspeed:
        # ZeRO builds an fp32 gradient partition for the step (stage_1_and_2.py, stage3.py).
        step = 4.0 * trainable
        if scn.optimizer not in ("adamw_torch", "adamw_torch_fused"):
            notes.add(f"DeepSpeed with {scn.optimizer}: states counted as for that optimizer")
    grads = float(trainable * trainable_dtype + copies * (w - trainable_dtype))
    if scn.optimizer_in_backward:
        # torchtune optimizer_in_bwd: a post-accumulate-grad hook steps each parameter and
        # frees its gradient at once (torch register_post_accumulate_grad_hook), so one
        # tensor's gradient and step temporaries are alive at a time.
        largest = largest_tensor_numel(adapters, spec)
        grads = float(largest * trainable_dtype)
        step = float(largest * trainable_dtype) if step else 0.0
        notes.add("optimizer step in backward: one parameter's gradient alive at a time")
    return ModelStates(
        weights=float(base),
        adapter_weights=adapter,
        master_weights=master,
        optimizer_states=opt,
        step_buffers=step,
        gradients=grads,
        trainable_dtype_bytes=trainable_dtype,
        state_dtype_bytes=4 if dist.deepspeed else trainable_dtype,
        optimizer_detail=detail,
    )
