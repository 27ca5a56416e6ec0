"""Activations: what autograd keeps for backward, and the loss spike.

Counted from the implementation (transformers 5 decoder layers, PEFT 0.21 adapter layers):
norms upcast to fp32 and keep their fp32 input, the attention kernel's inputs and outputs
(sdpa, flash or eager), the MLP, each adapter's own saves; gradient checkpointing
(torch.utils.checkpoint) keeps one hidden state per layer plus one recomputed layer. Checked
against saved-tensor hooks on a small model in tests/knowledge/test_memory_activations.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from tunelint.knowledge.memory_peft import HEAD_NAMES, AdapterPlan
from tunelint.knowledge.memory_scenario import (
    DTYPE_BYTES,
    ONLINE_METHODS,
    BatchShape,
    MemoryScenario,
    Notes,
    act_bytes,
    adapter_dtype,
    padded,
)
from tunelint.knowledge.models import LinearModule, ModelSpec

# Activation offloading keeps the layer being computed and the one being copied.
OFFLOADED_LAYERS_ON_GPU = 2

# Module names per input they read: Llama-style, Qwen-1, BERT, BLOOM, T5 (Attention.q/k/v/o,
# DenseReluDense.wi/wi_0/wi_1/wo), GPT-2 and StarCoder2 (attn.c_attn/c_proj, mlp.c_fc/c_proj).
_ATTN_IN = (
    "q_proj", "k_proj", "v_proj", "qkv_proj", "c_attn", "query", "key", "value",
    "query_key_value", "Attention.q", "Attention.k", "Attention.v",
)  # fmt: skip
_O_IN = ("o_proj", "attn.c_proj", "attention.output.dense", "self_attention.dense", "Attention.o")
_MLP_IN = (
    "gate_proj", "up_proj", "gate_up_proj", "w1", "w2", "intermediate.dense", "c_fc",
    "dense_h_to_4h", "DenseReluDense.wi", "DenseReluDense.wi_0", "DenseReluDense.wi_1",
)  # fmt: skip


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
    """Saved tensors of one decoder layer per token (see the module docstring)."""
    spec = scn.model
    h, i, q, kv, nh = (
        spec.hidden_size,
        spec.intermediate_size,
        spec.q_dim,
        spec.kv_dim,
        spec.num_heads,
    )
    a = act_bytes(scn)
    full = scn.peft == "full"
    saved = 0.0
    # Norms compute in fp32 and keep their fp32 input; trainable RMSNorm weights also keep
    # the normalised half-precision input of the weight multiply. Compiled, the fused norm
    # keeps its half-precision input and one fp32 rstd per token instead (inductor's
    # min-cut partitioner recomputes cheap elementwise ops: torch/_functorch/partitioners.py).
    norm_saves = a * h + 4 if scn.compile else 4 * h
    saved += spec.norms_per_layer * norm_saves
    if full and spec.norm == "rms":
        saved += spec.norms_per_layer * a * h
    if spec.qk_norm:
        saved += 4 * (q + kv)
    # Attention kernel. sdpa with a padding mask cannot use its GQA path and repeats k/v.
    repeat_kv = scn.attention == "eager" or (scn.attention == "sdpa" and padded(scn))
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
        # Compiled, act(gate) * up is recomputed from the saved gate and up outputs.
        saved += (2 if scn.compile else 3) * a * i + (a * i if full else 0)
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
        ad = DTYPE_BYTES[adapter_dtype(scn)]
        # Under autocast lora_A's matmul saves the half-precision cast of its input (and
        # lora_B's input is half precision): PEFT's fp32 copy of x is freed once cast.
        saved = a if scn.autocast else ad
        total = 0.0
        shared_groups: set[str] = set()
        for m in adapters.targeted:
            n = m.count
            if ad != a or scn.lora_dropout > 0:
                # Each adapter casts (and drops out) its own copy of the input for lora_A.
                total += saved * m.in_features * n
                if scn.lora_dropout > 0:
                    total += m.in_features * n  # dropout mask, 1 byte
            else:
                shared_groups.add(_input_group(m))
            total += saved * scn.lora_r * n  # lora_B's input
            if scn.peft == "dora":
                total += (ad + a) * m.out_features * n  # LoRA result and base result
        total += sum(a * _group_width(scn.model, g) for g in shared_groups)
        return total  # one adapter is active per forward pass, however many are loaded
    if scn.peft == "ia3":
        ad = DTYPE_BYTES[adapter_dtype(scn)]
        total = 0.0
        for m in adapters.targeted:
            if any(m.matches(t) for t in adapters.feedforward):
                total += ad * m.in_features * m.count  # input cast to the vector's dtype
            else:
                total += a * m.out_features * m.count  # base output kept for the scale's grad
        return total
    return 0.0


# --- the whole model -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Activations:
    """Bytes of activations during forward+backward, by kind."""

    stored: float  # saved for backward across all layers (and the attention mask)
    working: float  # one layer's backward working set (and its recomputation)
    autocast_cache: float  # half-precision weight copies autocast keeps until backward
    logits: float  # the loss spike
    detail: str
    logits_detail: str


def stored_activations(
    scn: MemoryScenario, adapters: AdapterPlan, shape: BatchShape
) -> tuple[float, float, str]:
    """(stored, working, detail): every layer's saves, or under checkpointing one hidden
    state per layer plus the recomputed layer's saves (torch.utils.checkpoint)."""
    spec = scn.model
    layer = layer_activations(scn, adapters, shape.seq_kv)
    a = act_bytes(scn)
    per_token_layer = layer.saved + layer.per_sequence
    outside = 4 * spec.hidden_size + 4  # final norm's fp32 input and its rsqrt
    if not spec.position_embeddings:  # learned positions (BERT, GPT-2) need no RoPE tables
        # Shared by every layer: RoPE's cos and sin in the activation dtype (transformers
        # LlamaRotaryEmbedding) and the int64 cache positions the layers receive.
        outside += 2 * spec.head_dim * a + 8
    trains_head = scn.trainable_embeddings or any(
        name.rsplit(".", 1)[-1] in HEAD_NAMES for name in scn.modules_to_save
    )
    if scn.peft == "full" or trains_head:
        outside += a * spec.hidden_size  # lm_head's input, kept when its weight trains
    if spec.layout == "bert":
        outside += 4 * spec.hidden_size + (spec.hidden_size if spec.hidden_dropout else 0)
    layers = spec.num_layers
    tokens = shape.tokens
    # Offloaded activations (torchtune OffloadActivations, saved_tensors_hooks): each layer's
    # saves go to CPU as they are made and come back one layer ahead of backward, so the GPU
    # holds the layer being computed and the one in flight on the copy stream.
    on_gpu = min(layers, OFFLOADED_LAYERS_ON_GPU) if scn.activation_offloading else layers
    if scn.gradient_checkpointing:
        stored = tokens * (on_gpu * a * spec.hidden_size + outside)
        working = tokens * (per_token_layer + layer.transient)
        detail = f"checkpointed: 1 hidden state x {on_gpu} layers + one recomputed layer"
    else:
        stored = tokens * (on_gpu * per_token_layer + outside)
        working = tokens * layer.transient
        detail = f"{per_token_layer / 1024:.0f} KiB per token per layer x {on_gpu} layers"
    if scn.activation_offloading:
        detail += f" on the GPU (the other {layers - on_gpu} offloaded to CPU)"
    return stored, working, detail


def attention_mask_bytes(scn: MemoryScenario, shape: BatchShape) -> float:
    """The 4D mask: eager attention adds a [batch, 1, q, kv] float mask; sdpa with padding
    gets a boolean one (transformers masking_utils), shared by all layers."""
    if scn.attention == "eager":
        return shape.sequences * shape.seq * shape.seq_kv * act_bytes(scn)
    if scn.attention == "sdpa" and padded(scn):
        return shape.sequences * shape.seq * shape.seq_kv
    return 0.0


def autocast_weight_cache(scn: MemoryScenario, adapter_params: int = 0) -> tuple[float, float]:
    """(held, working): torch.autocast caches the half-precision copy of each fp32 weight a
    matmul used until the autocast region exits (torch/amp/autocast_mode.py cache_enabled).
    It caches trainable leaves only (aten/src/ATen/autocast_mode.cpp cached_cast:
    `arg.requires_grad() && arg.is_leaf()`): the frozen base of an adapter run is cast anew
    for each matmul and freed: full fine-tuning holds copies of its layers, an adapter run
    of its fp32 adapters (`adapter_params`, all layers'; one layer's under checkpointing).
    TRL's fused LM head casts lm_head tiles itself (`weight[start:end].to(compute_dtype)`):
    no cached head."""
    if scn.autocast and scn.peft != "full" and adapter_dtype(scn) == "fp32":
        layers = scn.model.num_layers
        held = 2.0 * adapter_params / (layers if scn.gradient_checkpointing else 1)
        return held, 0.0
    if not (
        scn.autocast
        and scn.weight_dtype == "fp32"
        and scn.quantization == "none"
        and scn.peft == "full"
    ):
        return 0.0, 0.0
    spec = scn.model
    linear = spec.layer_linear_params
    layers_held = 1 if scn.gradient_checkpointing else spec.num_layers
    head = 0 if scn.fused_lm_head else spec.lm_head_params
    held = 2.0 * (linear * layers_held + head)
    working = 2.0 * linear if scn.gradient_checkpointing else 0.0  # recomputed layer's casts
    return held, working


def loss_spike(scn: MemoryScenario, tokens: int) -> tuple[float, str]:
    """(bytes, detail) of the vocabulary-sized tensors at the loss.

    Unchunked: the lm_head's half-precision logits and, when the model code or autocast
    upcasts (transformers loss_utils ForCausalLMLoss calls `logits.float()`), their fp32
    copy; at the log-softmax backward three vocabulary-sized tensors are alive: the saved
    log-probabilities, their gradient and the gradient being computed
    (aten log_softmax_backward_data).

    Chunked or fused (Liger fused_linear_cross_entropy, Cut Cross-Entropy, torchtune's
    chunked losses): no full-vocabulary tensor; Liger computes the input's gradient in the
    forward (one [tokens x hidden] tensor) and walks chunks of about tokens x hidden / vocab
    rows, so a chunk's logits hold about tokens x hidden values."""
    a = act_bytes(scn)
    if scn.fused_lm_head and not scn.chunked_loss:
        return fused_head_spike(scn, tokens)
    if scn.chunked_loss:
        h = scn.model.hidden_size
        per = 2 * a  # the input's gradient and one chunk of logits, per token and hidden unit
        return float(tokens * h * per), f"chunked loss: {tokens:,} tokens x {h:,} x {per} B"
    # Autocast runs cross_entropy/log_softmax in fp32 whatever the model code does.
    upcast = scn.loss_upcast or scn.model_upcasts_logits or scn.autocast
    loss_b = 4 if upcast else a
    vocab = scn.model.output_classes
    # The logits the model returns: fp32 when its own code upcasts them.
    returned = 4 if scn.model_upcasts_logits else a
    per = max(a + 2 * loss_b, 3 * loss_b) + (returned if scn.logits_held else 0)
    return float(tokens * vocab * per), f"{tokens:,} tokens x {vocab:,} classes x {per} B"


# trl/kernels/chunked_logprob.py: TOKEN_CHUNK_SIZE, and trl/trainer/utils.py
# _CHUNKED_LOGPROB_CHUNK_SIZE (the vocabulary width of a tile).
FUSED_TOKEN_TILE = 4096
FUSED_VOCAB_TILE = 32768


def fused_head_spike(scn: MemoryScenario, tokens: int) -> tuple[float, str]:
    """(bytes, detail) at TRL's fused LM head (ChunkedLogProbFunction), whose backward peaks:
    the scored positions' hidden states copied and saved (`hidden_states[mask]`, a B per
    value), the fp32 accumulator of their gradient and its cast back (4 + a B), one
    [4096 x 32768] tile in the compute dtype, and where the head trains its fp32 weight-
    gradient accumulator and that cast (4 + weight dtype B per head parameter)."""
    a = act_bytes(scn)
    spec = scn.model
    h = spec.hidden_size
    per = 2 * a + 4
    tile = min(tokens, FUSED_TOKEN_TILE) * min(spec.output_classes, FUSED_VOCAB_TILE) * a
    total = float(tokens * h * per + tile)
    trains_head = (
        scn.peft == "full"
        or scn.trainable_embeddings
        or any(name.rsplit(".", 1)[-1] in HEAD_NAMES for name in scn.modules_to_save)
    )
    detail = f"fused LM head: {tokens:,} tokens x {h:,} x {per} B + one {a} B vocabulary tile"
    if trains_head:
        total += spec.lm_head_params * (4 + DTYPE_BYTES[scn.weight_dtype])
        detail += " + the head's fp32 gradient accumulator"
    return total, detail


def activations(
    scn: MemoryScenario, adapters: AdapterPlan, shape: BatchShape, notes: Notes
) -> Activations:
    """All activation terms of one micro-batch."""
    stored, working, detail = stored_activations(scn, adapters, shape)
    stored += attention_mask_bytes(scn, shape)
    held, cast_working = autocast_weight_cache(scn, adapters.trainable_params)
    logits, logits_detail = loss_spike(scn, shape.tokens)
    if scn.model.head == "causal-lm" and scn.method in ONLINE_METHODS:
        notes.add("online RL: log-probs over the vocabulary counted like the SFT loss")
    return Activations(stored, working + cast_working, held, logits, detail, logits_detail)
