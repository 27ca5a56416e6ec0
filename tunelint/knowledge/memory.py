"""Peak GPU memory of a fine-tuning run, per component, in pure Python (no torch).

The model: what PyTorch keeps alive at the moments a training step peaks, for transformers 5
+ PEFT 0.21 + TRL 1.x on CUDA.

- weights: by dtype; bitsandbytes NF4/int8 or GPTQ int4 for the layers' nn.Linear weights
  (embeddings, lm_head, norms, biases and fused MoE experts stay in the compute dtype);
- trainable parameters (memory_peft), their gradients and optimizer states (by optimizer,
  per tensor), fp32 master weights where DeepSpeed keeps them, the optimizer step's buffers;
- activations: the tensors autograd saves, per token and layer, counted from the
  implementation (norms upcast to fp32, attention kernel inputs/outputs, the MLP, each
  adapter's own saves) — checked against saved-tensor hooks on a small model in the tests;
  gradient checkpointing keeps one hidden state per layer plus one recomputed layer;
- the logits spike: the loss upcasts [tokens x vocabulary] logits to fp32, keeps the
  log-probabilities and builds their gradient — often the largest single term;
- trainer extras: paired sequences (DPO, ORPO, KTO, reward), a reference model (unless PEFT
  or precomputed log-probs), reward and value models and generation KV cache for online RL;
- distribution: DDP gradient buckets, ZeRO-1/2/3 and FSDP sharding over N GPUs, CPU offload;
- CUDA context and the caching allocator's overhead.

The peak is the largest of four phases (forward+backward, end of backward, optimizer step,
generation); the breakdown shown is that phase's. Every assumption made is listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal

from tunelint.knowledge.memory_peft import AdapterPlan, PeftMethod, TrainableTensor, adapter_plan
from tunelint.knowledge.models import LinearModule, ModelSpec

GIB = 1024**3

# --- named, global constants (each justified; no per-row tuning) -------------------------
# CUDA context + kernels + cuBLAS workspace of one PyTorch process. The transformers docs
# measured 1343 MiB on a V100 with CUDA 11; CUDA >= 11.7 loads kernels lazily and PyTorch 2
# processes on A100/H100 typically hold 0.4-0.8 GiB. 0.75 GiB is the upper half of that.
CUDA_CONTEXT_GIB = 0.75
# PyTorch's caching allocator rounds blocks up (2 MiB segments, 512 B blocks) and keeps
# freed blocks cached: torch.cuda.memory_reserved() runs a few percent above the allocated
# peak. 5 % of the allocated peak.
ALLOCATOR_OVERHEAD = 0.05
# bitsandbytes NF4: 4-bit codes + one absmax per 64-weight block (fp32, or with double
# quantization 8-bit absmax + an fp32 scale per 256 blocks).
NF4_BLOCK = 64
NF4_DOUBLE_QUANT_GROUP = 256
# GPTQ int4: 4-bit codes + per 128-column group an fp16 scale and a packed 4-bit zero point.
GPTQ_GROUP = 128
# bitsandbytes 8-bit optimizers: blockwise quantized states (256-value blocks, fp32 absmax);
# tensors under 4096 values keep 32-bit states (min_8bit_size).
BNB_OPTIM_BLOCK = 256
BNB_MIN_8BIT_SIZE = 4096
# DeepSpeed ZeRO defaults (deepspeed/runtime/zero/config.py) and its documented footprint:
# overlap_comm uses 4.5x the reduce and allgather buckets.
ZERO_BUCKET_ELEMENTS = 500_000_000
ZERO_OVERLAP_FACTOR = 4.5
# ZeRO-3 steps the optimizer per sub-group of this many elements (DeepSpeed's default).
ZERO3_SUB_GROUP = 1_000_000_000
# FSDP / ZeRO-3 hold the current layer's gathered parameters plus the prefetched next one.
GATHERED_LAYERS = 2
# TRL defaults used when the config does not say (GRPOConfig / RLOOConfig / DPOConfig).
TRL_DEFAULT_BETA = {"grpo": 0.0, "rloo": 0.05, "dpo": 0.1, "kto": 0.1, "ppo": 0.05}
TRL_DEFAULT_COMPLETION = 512

Dtype = Literal["fp32", "bf16", "fp16"]
Quant = Literal["none", "nf4", "int8", "gptq-int4"]
Attention = Literal["sdpa", "flash", "eager"]
OptimizerName = Literal[
    "adamw_torch",
    "adamw_torch_fused",
    "adamw_8bit",
    "paged_adamw_8bit",
    "paged_adamw_32bit",
    "adafactor",
    "sgd",
]
DistributedKind = Literal[
    "none", "ddp", "fsdp", "deepspeed-zero1", "deepspeed-zero2", "deepspeed-zero3"
]
DTYPE_BYTES: dict[str, int] = {"fp32": 4, "bf16": 2, "fp16": 2}
PAIRED_METHODS = frozenset({"dpo", "orpo", "kto", "reward", "simpo", "cpo"})
ONLINE_METHODS = frozenset({"grpo", "rloo", "ppo"})
REFERENCE_METHODS = frozenset({"dpo", "kto", "grpo", "rloo", "ppo"})


@dataclass(frozen=True)
class MemoryScenario:
    """Everything the estimate depends on, independent of any config format.

    The defaults describe a TRL 1.x run on transformers 5 (adapters in fp32, loss in fp32,
    sdpa attention). Benchmarks describe published runs by overriding fields.
    """

    model: ModelSpec
    micro_batch_size: int = 1
    seq_len: int = 2048
    method: str = "sft"
    peft: PeftMethod = "lora"
    lora_r: int = 16
    target_modules: str | tuple[str, ...] | None = "all-linear"
    lora_dropout: float = 0.0
    ia3_feedforward: tuple[str, ...] | None = None
    num_virtual_tokens: int = 20
    trainable_params: int | None = None  # peft="other": the adapter's reported size
    trainable_embeddings: bool = False  # modules_to_save: embedding and lm_head copies
    adapter_count: int = 1  # peft "adapters": one adapter per task on one base
    weight_dtype: Dtype = "bf16"  # dtype the base weights are held in
    autocast: bool = False  # AMP: forward in half precision over fp32 weights
    adapter_dtype: Dtype = "fp32"  # PEFT autocast_adapter_dtype=True keeps adapters fp32
    quantization: Quant = "none"
    double_quant: bool = True
    gradient_checkpointing: bool = False
    attention: Attention = "sdpa"
    padded_batch: bool | None = None  # None: padded when micro_batch_size > 1
    optimizer: OptimizerName = "adamw_torch"
    gradient_accumulation_steps: int = 1
    gpu_count: int = 1
    distributed: DistributedKind = "none"
    cpu_offload: bool = False
    zero_bucket_elements: int | None = None
    zero_overlap_comm: bool | None = None  # None: DeepSpeed's default for the stage
    loss_upcast: bool = True  # transformers >= 4.46 upcasts logits to fp32 in the loss
    logits_held: bool = False  # the training loop keeps `outputs.logits` through backward
    beta: float | None = None
    precompute_ref_log_probs: bool = False
    reward_model: ModelSpec | None = None
    num_generations: int = 8
    completion_len: int | None = None
    include_cuda_context: bool = True
    cuda_context_gib: float = CUDA_CONTEXT_GIB
    # zero_grad(set_to_none=False), PyTorch < 2.0's default: gradients stay allocated.
    grads_persist: bool = False
    model_states_only: bool = False  # weights, gradients, optimizer: DeepSpeed's estimators


@dataclass(frozen=True, slots=True)
class MemoryComponent:
    name: str
    bytes: int
    detail: str = ""

    @property
    def gib(self) -> float:
        return self.bytes / GIB


@dataclass(frozen=True)
class MemoryEstimate:
    """Estimated peak memory on one GPU, with the components of the peak phase."""

    components: tuple[MemoryComponent, ...]
    peak_phase: str
    phases: dict[str, int]
    per_gpu_bytes: int
    assumptions: tuple[str, ...]
    trainable_params: int
    total_params: int
    gpu_count: int = 1

    @property
    def per_gpu_gib(self) -> float:
        return self.per_gpu_bytes / GIB

    @property
    def components_gib(self) -> dict[str, float]:
        return {c.name: c.gib for c in self.components if c.bytes}

    @property
    def largest(self) -> MemoryComponent:
        return max(self.components, key=lambda c: c.bytes)

    def component(self, name: str) -> int:
        return next((c.bytes for c in self.components if c.name == name), 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "per_gpu_gib": round(self.per_gpu_gib, 3),
            "peak_phase": self.peak_phase,
            "gpu_count": self.gpu_count,
            "components": {c.name: round(c.gib, 3) for c in self.components if c.bytes},
            "component_details": {c.name: c.detail for c in self.components if c.detail},
            "phases_gib": {k: round(v / GIB, 3) for k, v in self.phases.items()},
            "trainable_params": self.trainable_params,
            "total_params": self.total_params,
            "assumptions": list(self.assumptions),
        }


@dataclass
class _Notes:
    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


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
    q_params = spec.num_layers * sum(m.weight_params for m in quantized)
    q_bytes = spec.num_layers * sum(_quantized_bytes(m, quant, double_quant) for m in quantized)
    return int((total - q_params) * b + q_bytes)


# --- optimizer -----------------------------------------------------------------------------
def _optimizer_state_bytes(
    tensors: AdapterPlan,
    optimizer: OptimizerName,
    state_bytes: Callable[[TrainableTensor], int],
    spec: ModelSpec,
) -> tuple[float, float, str]:
    """(state bytes, step-buffer bytes, detail); `state_bytes` gives a tensor's state dtype."""
    if optimizer in ("adamw_torch", "adamw_torch_fused", "paged_adamw_32bit"):
        states = sum(2 * state_bytes(t) * t.numel for t in tensors.tensors)
        # torch's foreach AdamW allocates sqrt(exp_avg_sq) for all parameters at once.
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
        states = 0.0
        largest = 0
        for t in tensors.tensors:
            sb = state_bytes(t)
            if t.name == "all":
                # Full model: factored second moments of every matrix, full size for vectors.
                states += _adafactor_full_model(spec) * sb
                largest = max(
                    largest,
                    spec.vocab_size * spec.hidden_size,
                    *(m.weight_params // m.count for m in spec.layer_modules()),
                )
                continue
            shape = t.shape
            if len(shape) >= 2:
                states += (shape[0] + shape[1]) * sb * t.count
            else:
                states += t.numel * sb
            largest = max(largest, t.numel // max(t.count, 1))
        # transformers' Adafactor works on an fp32 copy of each parameter and its gradient.
        return states, 8.0 * largest, "Adafactor: factored second moment, no first moment"
    if optimizer == "sgd":
        return 0.0, 0.0, "SGD without momentum (transformers' default): no state"
    raise ValueError(optimizer)


def _adafactor_full_model(spec: ModelSpec) -> int:
    values = 0
    for m in spec.layer_modules():
        values += (m.in_features + m.out_features) * m.count * spec.num_layers
    values += spec.norm_params_per_layer * spec.num_layers
    values += 2 * (spec.vocab_size + spec.hidden_size)  # embedding and lm_head matrices
    return values


# --- activations ---------------------------------------------------------------------------
_ATTN_IN = ("q_proj", "k_proj", "v_proj", "qkv_proj", "c_attn", "query", "key", "value")
_O_IN = ("o_proj", "attn.c_proj", "attention.output.dense")
_MLP_IN = ("gate_proj", "up_proj", "gate_up_proj", "w1", "w2", "intermediate.dense")


def _input_group(m: LinearModule) -> str:
    """Which tensor feeds a module: modules of one group share their input."""
    if m.name.endswith(_ATTN_IN):
        return "attn_in"
    if m.name.endswith(_O_IN):
        return "o_in"
    if m.name.endswith(_MLP_IN):
        return "mlp_in"
    return "down_in"


@dataclass(frozen=True, slots=True)
class LayerActivations:
    """Bytes per token that one layer keeps for backward, and its backward working set."""

    saved: float
    transient: float
    per_sequence: float  # terms that grow with seq_len^2 per sequence (eager attention)


def layer_activations(scn: MemoryScenario, adapters: AdapterPlan, seq_kv: int) -> LayerActivations:
    """Saved tensors of one decoder layer per token (see module docstring)."""
    spec = scn.model
    h, i, q, kv, nh = (
        spec.hidden_size,
        spec.intermediate_size,
        spec.q_dim,
        spec.kv_dim,
        spec.num_heads,
    )
    a = _act_bytes(scn)
    full = scn.peft == "full"
    saved = 0.0
    # Norms compute in fp32 and keep their fp32 input; trainable RMSNorm weights also keep
    # the normalised half-precision input of the weight multiply.
    saved += spec.norms_per_layer * 4 * h
    if full and spec.norm == "rms":
        saved += spec.norms_per_layer * a * h
    if spec.qk_norm:
        saved += 4 * (q + kv)
    # Attention kernel. sdpa with a padding mask cannot use its GQA path and repeats k/v.
    padded = _padded(scn)
    repeat_kv = scn.attention == "eager" or (scn.attention == "sdpa" and padded)
    kv_saved = q if repeat_kv and spec.layout != "bert" else kv
    saved += a * q + 2 * a * kv_saved
    per_sequence = 0.0
    if scn.attention == "eager":
        # fp32 softmax output plus its half-precision copy that multiplies v.
        probs = 4 + (a if a < 4 else 0)
        if spec.attention_dropout > 0:
            probs += 1 + a  # dropout mask and dropped probabilities
        per_sequence = probs * nh * seq_kv  # per token: grows with the keys attended
        if full or any(_input_group(m) == "o_in" for m in adapters.targeted):
            saved += a * q  # the context made contiguous for the output projection
    else:
        saved += a * q + 4 * nh  # output (shared with o_proj's input) + logsumexp
    if spec.hidden_dropout > 0:
        saved += 2 * h  # two dropout masks per layer (1 byte each)
    # MLP: activation input and output, the up projection; down_proj's input if it trains.
    if spec.gated_mlp:
        saved += 3 * a * i + (a * i if full else 0)
    else:
        saved += a * i + (a * i if full else 0)
    if full:
        saved += 2 * a * h  # inputs of the attention and MLP projections
    saved += _adapter_saves(scn, adapters, a)
    if scn.quantization == "int8":
        # bitsandbytes' int8 matmul keeps its input when gradients flow through it.
        groups = {_input_group(m) for m in spec.layer_modules() if m.is_linear}
        saved += sum(a * _group_width(spec, g) for g in groups)
    transient = 3 * a * i + 2 * a * h
    return LayerActivations(saved, transient, per_sequence)


def _group_width(spec: ModelSpec, group: str) -> int:
    return {
        "attn_in": spec.hidden_size,
        "o_in": spec.q_dim,
        "mlp_in": spec.hidden_size,
        "down_in": spec.intermediate_size,
    }[group]


def _adapter_saves(scn: MemoryScenario, adapters: AdapterPlan, a: int) -> float:
    """Per-token bytes PEFT's own layers save, per layer (PEFT 0.21 forward passes)."""
    if scn.peft in ("lora", "dora"):
        ad = DTYPE_BYTES[_adapter_dtype(scn)]
        total = 0.0
        shared_groups: set[str] = set()
        for m in adapters.targeted:
            n = m.count
            if ad != a or scn.lora_dropout > 0:
                # Each adapter casts (and drops out) its own copy of the input for lora_A.
                total += ad * m.in_features * n
                if scn.lora_dropout > 0:
                    total += m.in_features * n  # dropout mask, 1 byte
            else:
                shared_groups.add(_input_group(m))
            total += ad * scn.lora_r * n  # lora_B's input
            if scn.peft == "dora":
                total += (ad + a) * m.out_features * n  # LoRA result and base result
        total += sum(a * _group_width(scn.model, g) for g in shared_groups)
        return total  # one adapter is active per forward pass, however many are loaded
    if scn.peft == "ia3":
        ad = DTYPE_BYTES[_adapter_dtype(scn)]
        total = 0.0
        for m in adapters.targeted:
            if any(m.matches(t) for t in adapters.feedforward):
                total += ad * m.in_features * m.count  # input cast to the vector's dtype
            else:
                total += a * m.out_features * m.count  # base output kept for the scale's grad
        return total
    return 0.0


def _padded(scn: MemoryScenario) -> bool:
    """Whether batches carry a padding mask: several sequences of different lengths."""
    if scn.padded_batch is not None:
        return scn.padded_batch
    pairs = 2 if scn.method in PAIRED_METHODS else 1
    return scn.micro_batch_size * pairs > 1


def _act_bytes(scn: MemoryScenario) -> int:
    if scn.autocast or scn.quantization != "none":
        return 2
    return DTYPE_BYTES[scn.weight_dtype]


def _adapter_dtype(scn: MemoryScenario) -> Dtype:
    if scn.distributed.startswith("deepspeed"):
        return scn.weight_dtype  # DeepSpeed casts the whole module to its half dtype
    return scn.adapter_dtype


# --- the estimate -------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def estimate_memory(scn: MemoryScenario) -> MemoryEstimate:
    """Peak memory per GPU for a scenario: components, phases and assumptions.

    Cached: scenarios and estimates are immutable, and an editor re-lints the same config
    (and the memory rules ask for the same what-ifs) over and over."""
    notes = _Notes()
    spec = scn.model
    if scn.method == "reward" and spec.head == "causal-lm":
        # Reward models are sequence classifiers: a one-logit score head, no vocabulary.
        spec = replace(spec, head="sequence-classification", num_labels=1)
        scn = replace(scn, model=spec)
        notes.add("reward model: sequence classification (score head, no vocabulary logits)")
    for note in spec.notes:
        notes.add(f"{spec.name}: {note}")
    n_gpu = max(1, scn.gpu_count)
    dist = scn.distributed
    if dist == "none" and n_gpu > 1:
        dist = "ddp"
        notes.add(f"{n_gpu} GPUs without a distributed strategy: counted as DDP replicas")
    zero = {"deepspeed-zero1": 1, "deepspeed-zero2": 2, "deepspeed-zero3": 3}.get(dist, 0)
    fsdp = dist == "fsdp"
    shard_params = zero == 3 or fsdp
    deepspeed = zero > 0
    if scn.quantization != "none" and scn.peft == "full":
        notes.add("full fine-tuning of a quantized model is not possible; counted as given")

    # Sequence and token counts of one micro-batch.
    seq = scn.seq_len
    if scn.peft == "prompt-tuning":
        seq += scn.num_virtual_tokens
        notes.add(f"prompt tuning adds {scn.num_virtual_tokens} virtual tokens to each sequence")
    seq_kv = seq + (scn.num_virtual_tokens if scn.peft == "prefix-tuning" else 0)
    sequences = scn.micro_batch_size
    if scn.method in PAIRED_METHODS:
        sequences *= 2
        notes.add(f"{scn.method}: chosen and rejected (or KL) sequences in one forward pass")
    tokens = sequences * seq

    adapters = adapter_plan(
        spec,
        scn.peft,
        r=scn.lora_r,
        targets=scn.target_modules,
        num_virtual_tokens=scn.num_virtual_tokens,
        trainable_params=scn.trainable_params,
        trainable_embeddings=scn.trainable_embeddings,
        feedforward=scn.ia3_feedforward,
    )
    for note in adapters.notes:
        notes.add(note)
    trainable = adapters.trainable_params * max(1, scn.adapter_count)
    if scn.adapter_count > 1:
        notes.add(f"{scn.adapter_count} adapters on one base, each with optimizer states")

    # --- weights and trainable parameters -------------------------------------------------
    base_weights = weight_bytes(spec, scn.weight_dtype, scn.quantization, scn.double_quant)
    if scn.quantization == "nf4":
        notes.add(
            "NF4: 0.5 B per layer weight + absmax per 64 "
            + ("(double-quantized)" if scn.double_quant else "(fp32)")
            + "; embeddings, lm_head, norms, biases stay in the compute dtype"
        )
        if any(not m.is_linear for m in spec.layer_modules()):
            notes.add(
                "bitsandbytes quantizes nn.Linear only: fused MoE expert tensors stay in "
                f"{scn.weight_dtype} (transformers 5)"
            )
    w = DTYPE_BYTES[scn.weight_dtype]
    full = scn.peft == "full"
    adapter_dt = _adapter_dtype(scn)
    if full:
        param_dtype_bytes = w if not deepspeed else 2 if scn.weight_dtype != "fp32" else 4
        adapter_bytes = 0
        trainable_dtype = param_dtype_bytes
    else:
        trainable_dtype = DTYPE_BYTES[adapter_dt]
        adapter_bytes = trainable * trainable_dtype
        if scn.trainable_embeddings:
            # modules_to_save copies keep the base dtype, not the adapters'.
            emb = 2 * spec.vocab_size * spec.hidden_size * max(1, scn.adapter_count)
            adapter_bytes += emb * (w - trainable_dtype)
    master_bytes = 0.0
    if deepspeed and (full or trainable) and trainable_dtype < 4:
        master_bytes = 4 * trainable
        notes.add("DeepSpeed keeps fp32 master weights and fp32 optimizer states")
    state_bytes = 4 if deepspeed else trainable_dtype

    def state_dtype(t: TrainableTensor) -> int:
        # torch optimizers keep states in the parameter's dtype; modules_to_save copies keep
        # the base dtype; DeepSpeed's optimizer works on fp32 master weights.
        if deepspeed:
            return 4
        return w if t.name.endswith(".copy") else trainable_dtype

    opt_states, step_buffers, opt_detail = _optimizer_state_bytes(
        adapters, scn.optimizer, state_dtype, spec
    )
    opt_states *= max(1, scn.adapter_count)
    if scn.optimizer.startswith("paged"):
        notes.add(
            "paged optimizer states counted on the GPU (they move to CPU only under pressure)"
        )
    if deepspeed:
        # ZeRO-1/2 build the fp32 gradient partition in step; ZeRO-3 does it per sub-group.
        step_buffers = 4 * trainable
        if zero == 3:
            step_buffers = 4 * min(trainable / n_gpu, ZERO3_SUB_GROUP) * n_gpu
        if scn.optimizer not in ("adamw_torch", "adamw_torch_fused"):
            notes.add(f"DeepSpeed with {scn.optimizer}: states counted as for that optimizer")
    grads = trainable * trainable_dtype
    if scn.trainable_embeddings:
        grads += 2 * spec.vocab_size * spec.hidden_size * (w - trainable_dtype)

    # --- sharding over GPUs -----------------------------------------------------------------
    on_cpu: list[str] = []
    if zero >= 1 or fsdp:
        opt_states /= n_gpu
        master_bytes /= n_gpu
        step_buffers /= n_gpu if deepspeed else 1
    if zero >= 2 or fsdp:
        grads /= n_gpu
    gathered = 0.0
    if shard_params:
        base_weights /= n_gpu
        adapter_bytes /= n_gpu
        gathered = GATHERED_LAYERS * spec.layer_params * (w if scn.quantization == "none" else 1)
    if scn.cpu_offload and (deepspeed or fsdp):
        on_cpu += ["optimizer states"]
        opt_states = 0.0
        master_bytes = 0.0
        step_buffers = 0.0
        if shard_params:
            on_cpu += ["parameters"]
            base_weights = 0.0
            adapter_bytes = 0.0
            if fsdp:
                grads = 0.0
                on_cpu += ["gradients"]
        notes.add(f"CPU offload: {', '.join(on_cpu)} in CPU RAM")
    elif scn.cpu_offload:
        notes.add("cpu_offload needs DeepSpeed or FSDP; ignored")

    dist_buffers = gathered
    dist_detail = ""
    if dist == "ddp" and n_gpu > 1:
        dist_buffers += (
            trainable * trainable_dtype
        )  # reducer buckets (gradient_as_bucket_view=False)
        dist_detail = "DDP gradient buckets"
    if deepspeed:
        bucket = scn.zero_bucket_elements or ZERO_BUCKET_ELEMENTS
        overlap = scn.zero_overlap_comm if scn.zero_overlap_comm is not None else zero == 3
        factor = ZERO_OVERLAP_FACTOR if overlap else 1.0
        if zero == 3:
            dist_buffers += factor * bucket * 2
        else:
            dist_buffers += factor * 2 * bucket * 2
        dist_detail = (
            f"ZeRO-{zero} communication buckets ({bucket:.0e} elements"
            + (", overlap_comm x4.5" if overlap else "")
            + ")"
        )
        if scn.zero_bucket_elements is None:
            notes.add(f"DeepSpeed buckets at their defaults ({bucket:.0e} elements)")
    if shard_params:
        dist_detail = (dist_detail + "; " if dist_detail else "") + (
            f"{GATHERED_LAYERS} gathered layers"
        )
    if fsdp:
        notes.add("FSDP full shard: parameters, gradients and optimizer states / N GPUs")

    # --- extra models (reference, reward, value) ---------------------------------------------
    extra: dict[str, float] = {}
    beta = scn.beta if scn.beta is not None else TRL_DEFAULT_BETA.get(scn.method, 0.0)
    needs_ref = scn.method in REFERENCE_METHODS and beta > 0
    if scn.method in ("dpo", "kto") and scn.precompute_ref_log_probs:
        needs_ref = False
        notes.add("reference log-probs precomputed: no reference model during training")
    if needs_ref:
        if full:
            ref = weight_bytes(spec, scn.weight_dtype, scn.quantization, scn.double_quant)
            extra["reference_model"] = ref / (n_gpu if shard_params else 1)
            notes.add(f"{scn.method}: a frozen reference copy of the model")
        else:
            notes.add(f"{scn.method} with PEFT: the reference is the base with adapters disabled")
    elif scn.method in ("grpo",) and scn.beta is None:
        notes.add("GRPO with TRL's default beta=0: no reference model")
    if scn.method in ONLINE_METHODS:
        reward = scn.reward_model
        if reward is None and scn.method == "ppo":
            reward = spec
            notes.add("PPO reward model assumed the size of the policy")
        if reward is not None:
            rw = _classifier_weight_bytes(reward, scn.weight_dtype)
            extra["reward_model"] = rw / (n_gpu if shard_params else 1)
        if scn.method == "ppo":
            value_params = _classifier_weight_bytes(reward or spec, "fp32") / 4
            if full:  # weights, gradients and optimizer states like the policy
                value = value_params * (w + trainable_dtype + 2 * state_bytes)
            else:  # frozen weights plus an adapter as large as the policy's
                value = value_params * w + adapter_bytes + grads + opt_states
            extra["value_model"] = value / (n_gpu if shard_params else 1)
            notes.add("PPO value model trained with the policy's method")

    # --- activations -------------------------------------------------------------------------
    layer = layer_activations(scn, adapters, seq_kv)
    a = _act_bytes(scn)
    per_token_layer = layer.saved + layer.per_sequence
    outside = 4 * spec.hidden_size  # final norm's fp32 input
    lm_head_trains = full or scn.trainable_embeddings
    if lm_head_trains:
        outside += a * spec.hidden_size
    if spec.layout == "bert":
        outside += 4 * spec.hidden_size + (spec.hidden_size if spec.hidden_dropout else 0)
    L = spec.num_layers
    if scn.gradient_checkpointing:
        stored = tokens * (L * a * spec.hidden_size + outside)
        working = tokens * (per_token_layer + layer.transient)
        act_detail = f"checkpointed: 1 hidden state x {L} layers + one recomputed layer"
    else:
        stored = tokens * (L * per_token_layer + outside)
        working = tokens * layer.transient
        act_detail = f"{per_token_layer / 1024:.0f} KiB per token per layer x {L} layers"
    mask = 0.0
    padded = _padded(scn)
    if scn.attention == "eager":
        mask = sequences * seq * seq_kv * a
    elif scn.attention == "sdpa" and padded:
        mask = sequences * seq * seq_kv  # boolean 4D mask shared by all layers
    stored += mask
    # Autocast keeps half-precision copies of the weights each matmul used until backward.
    autocast_cache = 0.0
    if scn.autocast and scn.weight_dtype == "fp32" and scn.quantization == "none":
        linear = spec.layer_linear_params
        layers_held = 1 if scn.gradient_checkpointing else L
        autocast_cache = 2 * (linear * layers_held + spec.lm_head_params)
        if scn.gradient_checkpointing:
            working += 2 * linear  # recomputed layer's casts
    # The logits spike: half logits, their fp32 upcast, log-probs, and their gradient.
    loss_b = 4 if scn.loss_upcast else a
    vocab = spec.output_classes
    spike_per = max(a + 2 * loss_b, 3 * loss_b) + (a if scn.logits_held else 0)
    logits = tokens * vocab * spike_per
    logits_detail = f"{tokens:,} tokens x {vocab:,} classes x {spike_per} B"
    if spec.head == "causal-lm" and scn.method in ONLINE_METHODS:
        notes.add("online RL: log-probs over the vocabulary counted like the SFT loss")

    # --- generation (online RL) -----------------------------------------------------------------
    kv_cache = 0.0
    if scn.method in ONLINE_METHODS:
        gen_batch = scn.micro_batch_size * max(1, scn.gradient_accumulation_steps)
        kv_cache = gen_batch * scn.seq_len * L * 2 * spec.kv_dim * a
        notes.add(
            f"generation: {gen_batch} sequences x {scn.seq_len} tokens of KV cache "
            "(TRL generates micro_batch x gradient_accumulation completions per device)"
        )

    # --- CUDA context --------------------------------------------------------------------------
    context = scn.cuda_context_gib * GIB if scn.include_cuda_context else 0.0

    # --- phases ------------------------------------------------------------------------------------
    static = base_weights + adapter_bytes + master_bytes + opt_states + sum(extra.values())
    accumulating = scn.gradient_accumulation_steps > 1 or scn.grads_persist
    if scn.gradient_accumulation_steps > 1:
        notes.add("gradient accumulation: gradients stay allocated during later micro-batches")
    if scn.grads_persist:
        notes.add("gradients zeroed, not freed, between steps (PyTorch < 2.0 zero_grad)")
    if scn.model_states_only:
        stored = working = logits = mask = autocast_cache = kv_cache = 0.0
        context = 0.0
        notes.add("model states only: weights, gradients, optimizer states (no activations)")
    fwd_bwd = (
        static
        + dist_buffers
        + (grads if accumulating else 0.0)
        + stored
        + autocast_cache
        + max(logits, working)
    )
    bwd_end = static + dist_buffers + grads
    step = static + grads + step_buffers + dist_buffers
    generation = static + kv_cache + dist_buffers
    phases = {
        "forward_backward": int(fwd_bwd),
        "backward_end": int(bwd_end),
        "optimizer_step": int(step),
    }
    if kv_cache:
        phases["generation"] = int(generation)
    peak_phase = max(phases, key=lambda k: phases[k])
    allocated = phases[peak_phase]
    overhead = ALLOCATOR_OVERHEAD * allocated if not scn.model_states_only else 0.0
    per_gpu = allocated + overhead + context

    in_phase = {
        "forward_backward": {
            "gradients": grads if accumulating else 0.0,
            "step": 0.0,
            "acts": True,
            "kv": 0.0,
        },
        "backward_end": {"gradients": grads, "step": 0.0, "acts": False, "kv": 0.0},
        "optimizer_step": {"gradients": grads, "step": step_buffers, "acts": False, "kv": 0.0},
        "generation": {"gradients": 0.0, "step": 0.0, "acts": False, "kv": kv_cache},
    }[peak_phase]
    acts = bool(in_phase["acts"])
    comps = [
        MemoryComponent("cuda_context", int(context), "per-process CUDA context and kernels"),
        MemoryComponent("weights", int(base_weights), _weights_detail(scn, spec)),
        MemoryComponent(
            "adapter_weights",
            int(adapter_bytes),
            f"{trainable:,} trainable parameters in {adapter_dt}" if not full else "",
        ),
        MemoryComponent("master_weights", int(master_bytes), "fp32 master copy"),
        MemoryComponent("gradients", int(in_phase["gradients"]), f"{trainable:,} parameters"),
        MemoryComponent("optimizer_states", int(opt_states), opt_detail),
        MemoryComponent("optimizer_step_buffers", int(in_phase["step"]), "temporaries of the step"),
        MemoryComponent("activations", int(stored + autocast_cache) if acts else 0, act_detail),
        MemoryComponent("logits", int(logits) if acts and logits >= working else 0, logits_detail),
        MemoryComponent(
            "backward_working_set",
            int(working) if acts and working > logits else 0,
            "gradients in flight inside one layer"
            + (" (and its recomputed activations)" if scn.gradient_checkpointing else ""),
        ),
        *(MemoryComponent(k, int(v)) for k, v in extra.items()),
        MemoryComponent("generation_kv_cache", int(in_phase["kv"])),
        MemoryComponent("distributed_buffers", int(dist_buffers), dist_detail),
        MemoryComponent(
            "allocator_overhead", int(overhead), f"{ALLOCATOR_OVERHEAD:.0%} of the allocated peak"
        ),
    ]
    _general_notes(scn, notes, a, adapter_dt)
    return MemoryEstimate(
        components=tuple(comps),
        peak_phase=peak_phase,
        phases=phases,
        per_gpu_bytes=int(per_gpu),
        assumptions=tuple(notes.items),
        trainable_params=trainable if not full else spec.param_count(),
        total_params=spec.param_count(),
        gpu_count=n_gpu,
    )


def _classifier_weight_bytes(spec: ModelSpec, dtype: Dtype) -> float:
    """A sequence-classification model of this architecture (no vocabulary head)."""
    total = spec.param_count() - spec.lm_head_params + spec.hidden_size
    return total * DTYPE_BYTES[dtype]


def _weights_detail(scn: MemoryScenario, spec: ModelSpec) -> str:
    count = f"{spec.param_count() / 1e9:.2f}B parameters"
    if scn.quantization == "none":
        return f"{count} in {scn.weight_dtype}"
    return f"{count}: layer matrices {scn.quantization}, the rest {scn.weight_dtype}"


def _general_notes(scn: MemoryScenario, notes: _Notes, a: int, adapter_dt: str) -> None:
    notes.add(
        f"activations in {8 * a}-bit; attention {scn.attention}"
        + (
            " (k/v repeated for GQA under a padding mask)"
            if scn.attention == "sdpa"
            and _padded(scn)
            and scn.model.num_kv_heads < scn.model.num_heads
            else ""
        )
    )
    if scn.peft not in ("full", "none"):
        notes.add(f"adapter parameters in {adapter_dt}")
    if scn.autocast and scn.weight_dtype == "fp32":
        notes.add("mixed precision: fp32 weights, half-precision copies cached by autocast")
    notes.add(
        "loss in fp32 over the full vocabulary (no chunked/fused cross-entropy)"
        if scn.loss_upcast
        else "loss computed in half precision"
    )
    notes.add("sequences padded to the full length (an upper bound for shorter data)")
