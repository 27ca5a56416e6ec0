"""The estimator's vocabulary: its inputs (MemoryScenario), its output (MemoryEstimate), and
the small facts every term reads (bytes per dtype, the batch's shape, how GPUs share work).

Independent of any config format: memory_plan.py maps a Plan onto a scenario, the benchmark
maps published runs onto one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tunelint.config.plan_values import Optimizer
from tunelint.knowledge import trainer_defaults
from tunelint.knowledge.memory_peft import PeftMethod
from tunelint.knowledge.models import ModelSpec

GIB = 1024**3
# CUDA context + kernels + cuBLAS workspace of one PyTorch process; it depends on whether
# CUDA loads every kernel at start (eager) or each on first use (lazy).
# Lazy: CUDA_MODULE_LOADING=LAZY, which PyTorch >= 1.13 sets when unset (pytorch PR #86509,
# measured there: 287 MB lazy vs 667 MB eager after one small tensor) on CUDA >= 11.7, and the
# driver default from CUDA 12.2. After a training step's kernels have loaded, PyTorch 2
# processes on A100/H100 hold about 0.4-0.8 GiB; 0.75 GiB is the upper half of that.
CUDA_CONTEXT_GIB = 0.75
# Eager: CUDA < 11.7 or PyTorch < 1.13. The transformers docs (model_memory_anatomy.md)
# measured 1343 MiB after torch.ones((1, 1)).to("cuda") on a V100 with CUDA 11.
CUDA_CONTEXT_EAGER_GIB = 1343 / 1024


def cuda_context_gib(lazy_loading: bool = True) -> float:
    """The per-process CUDA context for the stack: lazy kernel loading or not (above)."""
    return CUDA_CONTEXT_GIB if lazy_loading else CUDA_CONTEXT_EAGER_GIB


Dtype = Literal["fp32", "bf16", "fp16"]
Quant = Literal["none", "nf4", "int8", "gptq-int4", "hqq-int2"]
Attention = Literal["sdpa", "flash", "eager"]
# The Plan's optimizer names are the estimator's: one list (config/plan.py).
OptimizerName = Optimizer
DistributedKind = Literal[
    "none", "ddp", "fsdp", "deepspeed-zero1", "deepspeed-zero2", "deepspeed-zero3"
]
VllmMode = Literal["none", "colocate", "server"]
DTYPE_BYTES: dict[str, int] = {"fp32": 4, "bf16": 2, "fp16": 2}
PAIRED_METHODS = frozenset({"dpo", "orpo", "kto", "reward", "simpo", "cpo"})
ONLINE_METHODS = frozenset({"grpo", "rloo", "ppo"})
REFERENCE_METHODS = frozenset({"dpo", "kto", "grpo", "rloo", "ppo"})
_ZERO_STAGE = {"deepspeed-zero1": 1, "deepspeed-zero2": 2, "deepspeed-zero3": 3}


@dataclass(frozen=True)
class MemoryScenario:
    """Everything the estimate depends on, independent of any config format.

    The defaults describe a TRL 1.x run on transformers 5 (adapters in fp32, loss in fp32,
    sdpa attention). Benchmarks describe published runs by overriding fields.
    """

    model: ModelSpec
    micro_batch_size: int = 1
    seq_len: int = 2048
    seq_len_from_data: bool = False  # seq_len is the data's longest sample (memory_data.py)
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
    # AMP: the forward under torch.autocast (the HF Trainer with bf16/fp16), over fp32 or
    # half-precision weights (memory_stack.loaded_weights).
    autocast: bool = False
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
    model_upcasts_logits: bool = False  # transformers < 4.45 causal LMs: `logits.float()`
    beta: float | None = None
    precompute_ref_log_probs: bool = False
    reward_model: ModelSpec | None = None
    include_cuda_context: bool = True
    cuda_context_gib: float = CUDA_CONTEXT_GIB
    # zero_grad(set_to_none=False), PyTorch < 2.0's default: gradients stay allocated.
    grads_persist: bool = False
    model_states_only: bool = False  # weights, gradients, optimizer: DeepSpeed's estimators
    # --- memory savers (off by default) -------------------------------------------------
    chunked_loss: bool = False  # chunked/fused linear cross-entropy: no full-vocab logits
    # TRL >= 1.15's fused LM head (memory_stack.py): log-probs in tiles, no full logits.
    fused_lm_head: bool = False
    optimizer_in_backward: bool = False  # step per parameter in backward, gradients freed
    activation_offloading: bool = False  # saved activations in CPU RAM until backward
    compile: bool = False  # torch.compile: elementwise intermediates recomputed, not saved
    modules_to_save: tuple[str, ...] = ()  # layers trained in full beside the adapter
    # PEFT prepare_model_for_kbit_training ran (memory_stack.py): a bitsandbytes base keeps
    # embeddings, norms and lm_head in fp32, and its activations are fp32.
    kbit_upcast: bool = False
    # --- DeepSpeed as written (None: DeepSpeed's default) -------------------------------
    zero_allgather_bucket_elements: int | None = None  # None: as zero_bucket_elements
    zero3_prefetch_elements: int | None = None  # stage3_prefetch_bucket_size
    zero3_persistence_threshold: int | None = None  # stage3_param_persistence_threshold
    offload_optimizer: bool | None = None  # None: as cpu_offload
    offload_params: bool | None = None  # None: cpu_offload under ZeRO-3/FSDP
    # --- models shared with the trained one ---------------------------------------------
    value_head_shared: bool = False  # PPO value head on the policy's own base
    reward_adapter: bool = False  # reward model as a LoRA adapter on the policy's base
    vllm_mode: VllmMode = "none"  # GRPO/RLOO generation: vLLM on this GPU or elsewhere
    vllm_gpu_memory_utilization: float = trainer_defaults.VLLM_GPU_MEMORY_UTILIZATION
    gpu_memory_gib: float | None = None  # the GPU's memory, for vLLM's colocated share
    teacher_model: ModelSpec | None = None  # knowledge distillation: a frozen teacher


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
    """Estimated peak memory on one GPU, with the components of the peak phase.

    Three views of the one peak: `allocated_bytes` (torch.cuda.max_memory_allocated: live
    tensors), `reserved_bytes` (torch.cuda.max_memory_reserved: plus the caching
    allocator's rounding and cached blocks) and `per_gpu_bytes`, what nvidia-smi shows
    (reserved plus the CUDA context). Fit decisions use the last.
    """

    components: tuple[MemoryComponent, ...]
    peak_phase: str
    phases: dict[str, int]
    per_gpu_bytes: int
    assumptions: tuple[str, ...]
    trainable_params: int
    total_params: int
    gpu_count: int = 1
    allocated_bytes: int = 0
    reserved_bytes: int = 0

    @property
    def per_gpu_gib(self) -> float:
        return self.per_gpu_bytes / GIB

    @property
    def views_gib(self) -> dict[str, float]:
        """The peak as PyTorch's allocator, its cache and nvidia-smi each report it."""
        return {
            "allocated": round(self.allocated_bytes / GIB, 3),
            "reserved": round(self.reserved_bytes / GIB, 3),
            "nvidia_smi": round(self.per_gpu_bytes / GIB, 3),
        }

    @property
    def largest(self) -> MemoryComponent:
        return max(self.components, key=lambda c: c.bytes)

    def component(self, name: str) -> int:
        return next((c.bytes for c in self.components if c.name == name), 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "per_gpu_gib": round(self.per_gpu_gib, 3),
            "views_gib": self.views_gib,
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
class Notes:
    """The assumptions an estimate made, in order, each once."""

    items: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text not in self.items:
            self.items.append(text)


@dataclass(frozen=True, slots=True)
class Distribution:
    """How the GPUs share the run: the strategy and the number of GPUs."""

    kind: DistributedKind
    gpus: int

    @property
    def zero(self) -> int:
        return _ZERO_STAGE.get(self.kind, 0)

    @property
    def deepspeed(self) -> bool:
        return self.zero > 0

    @property
    def fsdp(self) -> bool:
        return self.kind == "fsdp"

    @property
    def shards_params(self) -> bool:
        return self.zero == 3 or self.fsdp


def distribution(scn: MemoryScenario, notes: Notes) -> Distribution:
    """The scenario's strategy; several GPUs without one train as DDP replicas."""
    gpus = max(1, scn.gpu_count)
    kind = scn.distributed
    if kind == "none" and gpus > 1:
        kind = "ddp"
        notes.add(f"{gpus} GPUs without a distributed strategy: counted as DDP replicas")
    return Distribution(kind, gpus)


@dataclass(frozen=True, slots=True)
class BatchShape:
    """One micro-batch: sequences in the forward pass, their length and the keys attended."""

    sequences: int
    seq: int
    seq_kv: int

    @property
    def tokens(self) -> int:
        return self.sequences * self.seq


def batch_shape(scn: MemoryScenario, notes: Notes) -> BatchShape:
    """Virtual tokens lengthen sequences (prompt tuning) or keys (prefix tuning); paired
    methods put chosen and rejected sequences in one forward pass."""
    seq = scn.seq_len
    if scn.peft == "prompt-tuning":
        seq += scn.num_virtual_tokens
        notes.add(f"prompt tuning adds {scn.num_virtual_tokens} virtual tokens to each sequence")
    seq_kv = seq + (scn.num_virtual_tokens if scn.peft == "prefix-tuning" else 0)
    sequences = scn.micro_batch_size
    if scn.method in PAIRED_METHODS:
        sequences *= 2
        notes.add(f"{scn.method}: chosen and rejected (or KL) sequences in one forward pass")
    return BatchShape(sequences, seq, seq_kv)


def padded(scn: MemoryScenario) -> bool:
    """Whether batches carry a padding mask: several sequences of different lengths."""
    if scn.padded_batch is not None:
        return scn.padded_batch
    pairs = 2 if scn.method in PAIRED_METHODS else 1
    return scn.micro_batch_size * pairs > 1


def kbit_upcast(scn: MemoryScenario) -> bool:
    """Whether the non-quantized parameters of a bitsandbytes base are held in fp32."""
    return scn.kbit_upcast and scn.quantization in ("nf4", "int8")


def act_bytes(scn: MemoryScenario) -> int:
    """Bytes per activation value: half precision under autocast or a quantized base; fp32
    when the stack upcast the quantized base's other parameters (the residual stream is
    fp32 and bitsandbytes layers return their input's dtype)."""
    if kbit_upcast(scn):
        return 4
    if scn.autocast or scn.quantization != "none":
        return 2
    return DTYPE_BYTES[scn.weight_dtype]


def adapter_dtype(scn: MemoryScenario) -> Dtype:
    """The adapters' dtype; DeepSpeed casts the whole module to its half dtype."""
    if scn.distributed.startswith("deepspeed"):
        return scn.weight_dtype
    return scn.adapter_dtype
