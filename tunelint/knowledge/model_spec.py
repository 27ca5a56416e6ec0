"""`ModelSpec`: the architecture dimensions of one model, and the parameter counts derived.

Counts follow transformers 5's modeling files exactly (checked on the meta device in
tests/knowledge/test_models_meta.py): GQA or DeepSeek's multi-head latent attention (MLA,
low-rank q and kv projections with their own RMSNorms), q/k biases and q/k norms, gated or
plain MLPs, MoE experts stored as fused 3D tensors with a router, shared experts (DeepSeek,
Qwen2-MoE with its sigmoid gate), dense first layers, gpt-oss's expert and router biases and
attention sinks, parametric or non-parametric norms, tied embeddings and lm_head biases.

BLOOM (modeling_bloom.py): fused query_key_value, biases everywhere, LayerNorms, a LayerNorm
on the word embeddings, tied head. T5 / mT5 (modeling_t5.py), an encoder-decoder:
`num_layers` counts encoder and decoder layers together and `decoder_layers` the decoder's,
which add cross-attention (EncDecAttention) and its RMS-style T5LayerNorm; the first layer of
each stack holds the relative position bias (32 buckets x heads); no biases; DenseReluDense
is wi/wo, or gated wi_0/wi_1/wo (T5 v1.1, mT5).

GPT-2 (modeling_gpt2.py): Conv1D c_attn (fused q/k/v) and c_proj, an MLP c_fc/c_proj, biases
everywhere, LayerNorms, learned absolute positions, tied head. Mamba (modeling_mamba.py): each
layer is an RMSNorm and a selective-scan mixer (in_proj, depthwise conv1d, x_proj, dt_proj,
A_log, D, out_proj), no attention and no MLP; Mamba-2 (modeling_mamba2.py) fuses the projections
into in_proj and keeps one A/D/dt per SSM head plus a gated RMSNorm. BitNet (modeling_bitnet.py)
is Llama with an RMSNorm before o_proj (attn_sub_norm) and before down_proj (ffn_sub_norm).
Qwen3.5 (modeling_qwen3_5.py, modeling_qwen3_5_moe.py) interleaves full-attention layers, whose
q_proj also yields an output gate, with Gated DeltaNet layers (linear_attn: in_proj_qkv/z/b/a, a
depthwise conv1d, dt_bias, A_log, a gated RMSNorm over the value head, out_proj).

A module present in only some layers (DeepSeek's dense first layers, MoE blocks) carries
`layers`, the number of layers that hold it; `layers == 0` means every layer. Callers that
multiply one layer by `num_layers` are exact for every model whose layers are all alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Layout = Literal[
    "llama", "phi3", "qwen", "bert", "phi", "mla", "bloom", "t5", "gpt2", "mamba", "mamba2"
]
Head = Literal["causal-lm", "sequence-classification"]
ModuleKind = Literal["attention", "cross_attention", "mlp", "expert", "router", "head", "mixer"]
Norm = Literal["rms", "layernorm", "nonparametric"]
QkNormScope = Literal["head", "full"]


@dataclass(frozen=True, slots=True)
class LinearModule:
    """A weight matrix inside the decoder (or encoder) layers (`count` copies: MoE experts)."""

    name: str  # module path inside the layer, as PEFT matches it: "self_attn.q_proj"
    in_features: int
    out_features: int
    bias: bool
    kind: ModuleKind
    count: int = 1
    # False for fused expert tensors and routers stored as nn.Parameter (transformers >= 5):
    # bitsandbytes only quantizes nn.Linear, and PEFT's `all-linear` only targets nn.Linear.
    is_linear: bool = True
    layers: int = 0  # how many layers hold this module; 0 = every layer

    @property
    def weight_params(self) -> int:
        return self.in_features * self.out_features * self.count

    @property
    def bias_params(self) -> int:
        return self.out_features * self.count if self.bias else 0

    def layer_count(self, num_layers: int) -> int:
        """How many of `num_layers` layers hold this module."""
        return self.layers or num_layers

    def matches(self, target: str) -> bool:
        """PEFT's rule: the full name, or a suffix starting at a dot."""
        return self.name == target or self.name.endswith("." + target)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Architecture dimensions of one model; parameter counts are derived."""

    name: str
    model_type: str
    layout: Layout
    hidden_size: int
    intermediate_size: int  # per projection (Qwen-1's config.json states twice this)
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    attn_out_bias: bool = False
    mlp_bias: bool = False
    gated_mlp: bool = True
    norm: Norm = "rms"
    norms_per_layer: int = 2
    qk_norm: bool = False
    qk_norm_scope: QkNormScope = "head"  # OLMo2/OLMoE normalise all of q and k, not per head
    num_experts: int = 0
    experts_per_token: int = 0
    moe_intermediate_size: int = 0  # width of one routed expert; 0 = intermediate_size
    shared_expert_intermediate_size: int = 0  # width of the always-on shared MLP (0 = none)
    shared_expert_gate: bool = False  # Qwen2-MoE's sigmoid gate on the shared expert
    dense_layers: int = 0  # layers of a MoE model with a plain MLP (DeepSeek's first k)
    router_bias: bool = False
    expert_bias: bool = False
    attention_sinks: bool = False  # gpt-oss: one learned sink logit per head and layer
    mlp_prefix: str = "mlp"  # the MLP's module name in a layer (Llama 4: "feed_forward")
    plain_mlp_names: tuple[str, str] = ("fc1", "fc2")  # a plain MLP's in/out (StarCoder2: c_fc)
    router_name: str = "gate"  # the MoE router's name under mlp_prefix (gpt-oss: "router")
    shared_expert_name: str = ""  # "" = shared_expert(s) as DeepSeek / Qwen2-MoE name it
    sub_norms: bool = False  # BitNet: RMSNorms before o_proj and before down_proj
    ssm_state_size: int = 0  # Mamba / Mamba-2: the state size N; 0 = not a state-space model
    ssm_conv_kernel: int = 4
    ssm_dt_rank: int = 0  # Mamba: width of the low-rank time-step projection
    ssm_groups: int = 1  # Mamba-2: groups sharing B and C
    ssm_heads: int = 0  # Mamba-2: SSM heads (one A, D and dt bias each)
    ssm_conv_bias: bool = True
    linear_attention_layers: int = 0  # Qwen3.5: Gated DeltaNet layers (the rest attend fully)
    linear_key_heads: int = 0
    linear_value_heads: int = 0
    linear_key_head_dim: int = 0
    linear_value_head_dim: int = 0
    attention_output_gate: bool = False  # Qwen3.5: q_proj also yields a sigmoid output gate
    q_lora_rank: int = 0  # MLA (DeepSeek-V2/V3); 0 = a full-rank q_proj
    kv_lora_rank: int = 0
    qk_nope_head_dim: int = 0
    qk_rope_head_dim: int = 0
    v_head_dim: int = 0
    lm_head_bias: bool = False  # Phi-2
    extra_params: int = 0  # outside the text decoder: a vision tower and its projector
    cross_attention_layers: int = 0  # Llama 3.2 Vision: layers attending to the image instead
    added_embedding_rows: int = 0  # Llama 3.2 Vision: embed_tokens has vocab_size + 8 rows
    uncounted: str = ""  # what the formulas here leave out (Gemma 3n): neither count nor estimate
    wrapper_model_type: str | None = None  # a multimodal wrapper's own type ("gemma3")
    quantization: str | None = None  # pre-quantized checkpoint: bnb-4bit, gptq, fp8, ...
    quant_bits: float | None = None  # stored bits per quantized weight, scales included
    position_embeddings: int = 0  # learned absolute positions (BERT)
    token_type_embeddings: int = 0
    head: Head = "causal-lm"
    num_labels: int = 2
    max_position_embeddings: int | None = None
    decoder_layers: int = 0  # encoder-decoder (T5): the decoder's share of num_layers
    relative_attention_buckets: int = 32  # T5: relative position bias buckets per stack
    hidden_dropout: float = 0.0
    attention_dropout: float = 0.0
    hf_repo: str | None = None
    aliases: tuple[str, ...] = ()
    source: str = "catalog"
    expected_params: int | None = None  # published/computed reference total, checked in tests
    notes: tuple[str, ...] = field(default=())

    # --- derived dimensions -------------------------------------------------------------
    @property
    def q_dim(self) -> int:
        if self.layout == "mla":
            return self.num_heads * (self.qk_nope_head_dim + self.qk_rope_head_dim)
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        if self.layout == "mla":
            # transformers caches the decompressed keys (nope + rope per head) and values
            # (v_head_dim per head), not the latent: kv_dim is half that width per token.
            heads = self.num_heads
            return heads * (self.qk_nope_head_dim + self.qk_rope_head_dim + self.v_head_dim) // 2
        return self.num_kv_heads * self.head_dim

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def moe_layers(self) -> int:
        return self.num_layers - self.dense_layers if self.is_moe else 0

    @property
    def expert_intermediate_size(self) -> int:
        return self.moe_intermediate_size or self.intermediate_size

    def _attention_modules(self) -> tuple[LinearModule, ...]:
        h, q, kv = self.hidden_size, self.q_dim, self.kv_dim
        if self.layout == "mla":
            heads, rope = self.num_heads, self.qk_rope_head_dim
            bias = self.qkv_bias
            if self.q_lora_rank:
                query: tuple[LinearModule, ...] = (
                    LinearModule("self_attn.q_a_proj", h, self.q_lora_rank, bias, "attention"),
                    LinearModule("self_attn.q_b_proj", self.q_lora_rank, q, False, "attention"),
                )
            else:
                query = (LinearModule("self_attn.q_proj", h, q, False, "attention"),)
            kv_b = heads * (self.qk_nope_head_dim + self.v_head_dim)
            return (
                *query,
                LinearModule(
                    "self_attn.kv_a_proj_with_mqa", h, self.kv_lora_rank + rope, bias, "attention"
                ),
                LinearModule("self_attn.kv_b_proj", self.kv_lora_rank, kv_b, False, "attention"),
                LinearModule(
                    "self_attn.o_proj", heads * self.v_head_dim, h, self.attn_out_bias, "attention"
                ),
            )
        out = "self_attn.dense" if self.layout == "phi" else "self_attn.o_proj"
        gate = 2 if self.attention_output_gate else 1
        n = self.full_attention_layers if self.linear_attention_layers else 0
        return (
            LinearModule("self_attn.q_proj", h, gate * q, self.qkv_bias, "attention", layers=n),
            LinearModule("self_attn.k_proj", h, kv, self.qkv_bias, "attention", layers=n),
            LinearModule("self_attn.v_proj", h, kv, self.qkv_bias, "attention", layers=n),
            LinearModule(out, q, h, self.attn_out_bias, "attention", layers=n),
        )

    @property
    def full_attention_layers(self) -> int:
        return self.num_layers - self.linear_attention_layers

    @property
    def linear_conv_dim(self) -> int:
        """Gated DeltaNet's conv1d channels: queries and keys, then values."""
        keys = self.linear_key_heads * self.linear_key_head_dim
        return 2 * keys + self.linear_value_heads * self.linear_value_head_dim

    def _linear_attention_modules(self) -> tuple[LinearModule, ...]:
        h, n = self.hidden_size, self.linear_attention_layers
        values, heads = (
            self.linear_value_heads * self.linear_value_head_dim,
            self.linear_value_heads,
        )
        return tuple(
            LinearModule(f"linear_attn.{name}", n_in, n_out, False, "attention", layers=n)
            for name, n_in, n_out in (
                ("in_proj_qkv", h, self.linear_conv_dim),
                ("in_proj_z", h, values),
                ("in_proj_b", h, heads),
                ("in_proj_a", h, heads),
                ("out_proj", values, h),
            )
        )

    def _dense_mlp(self, prefix: str, width: int, layers: int) -> tuple[LinearModule, ...]:
        h, bias = self.hidden_size, self.mlp_bias
        if not self.gated_mlp:  # Phi-2: fc1 -> activation -> fc2 (StarCoder2: c_fc, c_proj)
            up, down = self.plain_mlp_names
            return (
                LinearModule(f"{prefix}.{up}", h, width, bias, "mlp", layers=layers),
                LinearModule(f"{prefix}.{down}", width, h, bias, "mlp", layers=layers),
            )
        return (
            LinearModule(f"{prefix}.gate_proj", h, width, bias, "mlp", layers=layers),
            LinearModule(f"{prefix}.up_proj", h, width, bias, "mlp", layers=layers),
            LinearModule(f"{prefix}.down_proj", width, h, bias, "mlp", layers=layers),
        )

    def _moe_block(self, layers: int) -> tuple[LinearModule, ...]:
        # transformers >= 5 stores experts as fused 3D tensors and the router as a
        # parameter (MixtralExperts / MixtralTopKRouter), not as nn.Linear modules.
        h, e, i = self.hidden_size, self.num_experts, self.expert_intermediate_size
        p, bias = self.mlp_prefix, self.expert_bias
        router = f"{p}.{self.router_name}"
        mods = [
            LinearModule(router, h, e, self.router_bias, "router", is_linear=False, layers=layers),
            LinearModule(f"{p}.experts.gate_up_proj", h, 2 * i, bias, "expert", e, False, layers),
            LinearModule(f"{p}.experts.down_proj", i, h, bias, "expert", e, False, layers),
        ]
        if self.shared_expert_intermediate_size:
            default = "shared_expert" if self.shared_expert_gate else "shared_experts"
            shared = f"{p}.{self.shared_expert_name or default}"
            mods += self._dense_mlp(shared, self.shared_expert_intermediate_size, layers)
        if self.shared_expert_gate:
            mods.append(
                LinearModule(f"{p}.shared_expert_gate", h, 1, False, "router", layers=layers)
            )
        return tuple(mods)

    def _layer_groups(self) -> tuple[tuple[int, tuple[LinearModule, ...]], ...]:
        """(how many layers, their modules) for each kind of layer the model has."""
        h, i, q, kv = self.hidden_size, self.intermediate_size, self.q_dim, self.kv_dim
        if self.layout == "phi3":
            mods: tuple[LinearModule, ...] = (
                LinearModule("self_attn.qkv_proj", h, q + 2 * kv, self.qkv_bias, "attention"),
                LinearModule("self_attn.o_proj", q, h, self.attn_out_bias, "attention"),
                LinearModule("mlp.gate_up_proj", h, 2 * i, self.mlp_bias, "mlp"),
                LinearModule("mlp.down_proj", i, h, self.mlp_bias, "mlp"),
            )
        elif self.layout == "qwen":
            mods = (
                LinearModule("attn.c_attn", h, q + 2 * kv, self.qkv_bias, "attention"),
                LinearModule("attn.c_proj", q, h, self.attn_out_bias, "attention"),
                LinearModule("mlp.w1", h, i, self.mlp_bias, "mlp"),
                LinearModule("mlp.w2", h, i, self.mlp_bias, "mlp"),
                LinearModule("mlp.c_proj", i, h, self.mlp_bias, "mlp"),
            )
        elif self.layout == "bloom":
            mods = (
                LinearModule("self_attention.query_key_value", h, q + 2 * kv, True, "attention"),
                LinearModule("self_attention.dense", q, h, True, "attention"),
                LinearModule("mlp.dense_h_to_4h", h, i, True, "mlp"),
                LinearModule("mlp.dense_4h_to_h", i, h, True, "mlp"),
            )
        elif self.layout == "gpt2":  # Conv1D modules: PEFT's all-linear and bnb take them
            mods = (
                LinearModule("attn.c_attn", h, q + 2 * kv, True, "attention"),
                LinearModule("attn.c_proj", q, h, True, "attention"),
                LinearModule("mlp.c_fc", h, i, True, "mlp"),
                LinearModule("mlp.c_proj", i, h, True, "mlp"),
            )
        elif self.layout in ("mamba", "mamba2"):
            mods = self._mixer_modules()
        elif self.layout == "t5":
            return self._t5_groups()
        elif self.layout == "bert":
            mods = (
                LinearModule("attention.self.query", h, q, True, "attention"),
                LinearModule("attention.self.key", h, kv, True, "attention"),
                LinearModule("attention.self.value", h, kv, True, "attention"),
                LinearModule("attention.output.dense", q, h, True, "attention"),
                LinearModule("intermediate.dense", h, i, True, "mlp"),
                LinearModule("output.dense", i, h, True, "mlp"),
            )
        elif self.linear_attention_layers:  # Qwen3.5: the same MLP under either attention
            mlp = self._moe_block(0) if self.is_moe else self._dense_mlp(self.mlp_prefix, i, 0)
            return (
                (self.full_attention_layers, (*self._attention_modules(), *mlp)),
                (self.linear_attention_layers, (*self._linear_attention_modules(), *mlp)),
            )
        elif not self.is_moe:
            mods = (*self._attention_modules(), *self._dense_mlp(self.mlp_prefix, i, 0))
        elif not self.dense_layers:
            mods = (*self._attention_modules(), *self._moe_block(0))
        else:  # DeepSeek's first k layers, Llama 4 Maverick's every other: a plain MLP
            attention = self._attention_modules()
            dense = self._dense_mlp(self.mlp_prefix, i, self.dense_layers)
            return (
                (self.moe_layers, (*attention, *self._moe_block(self.moe_layers))),
                (self.dense_layers, (*attention, *dense)),
            )
        return ((self.num_layers, mods),)

    @property
    def ssm_conv_dim(self) -> int:
        """Channels of the depthwise conv1d: the inner width (Mamba-2 adds B and C)."""
        if self.layout == "mamba2":
            return self.intermediate_size + 2 * self.ssm_groups * self.ssm_state_size
        return self.intermediate_size

    def _mixer_modules(self) -> tuple[LinearModule, ...]:
        """Mamba's selective-scan mixer (`intermediate_size` is expand x hidden)."""
        h, i, n, bias = self.hidden_size, self.intermediate_size, self.ssm_state_size, self.mlp_bias
        out = LinearModule("mixer.out_proj", i, h, bias, "mixer")
        if self.layout == "mamba2":  # in_proj yields gate, x, B, C and dt at once
            width = i + self.ssm_conv_dim + self.ssm_heads
            return (LinearModule("mixer.in_proj", h, width, bias, "mixer"), out)
        r = self.ssm_dt_rank
        return (
            LinearModule("mixer.in_proj", h, 2 * i, bias, "mixer"),
            LinearModule("mixer.x_proj", i, r + 2 * n, False, "mixer"),
            LinearModule("mixer.dt_proj", r, i, True, "mixer"),
            out,
        )

    @property
    def ssm_small_params(self) -> int:
        """A mixer's parameters outside its projections: the conv1d, A_log, D (Mamba-2: the
        dt bias per head and the gated RMSNorm)."""
        if not self.ssm_state_size:
            return 0
        conv = self.ssm_conv_dim * (self.ssm_conv_kernel + (1 if self.ssm_conv_bias else 0))
        if self.layout == "mamba2":
            return conv + 3 * self.ssm_heads + self.intermediate_size
        return conv + self.intermediate_size * (self.ssm_state_size + 1)

    @property
    def estimate_unsupported(self) -> str | None:
        """Why the memory estimator cannot model this architecture's activations (None: it can)."""
        if self.uncounted:
            return f"{self.display_name} is known but not estimated: {self.uncounted}"
        if self.layout in ("mamba", "mamba2"):
            return (
                f"{self.display_name} is a state-space model ({self.model_type}): the estimator "
                "models transformer activations, not a selective scan's"
            )
        if self.linear_attention_layers:
            return (
                f"{self.display_name} has {self.linear_attention_layers} Gated DeltaNet "
                "(linear-attention) layers: the estimator models softmax attention's activations, "
                "not theirs"
            )
        if self.cross_attention_layers:
            return (
                f"{self.display_name} has {self.cross_attention_layers} cross-attention layers "
                "whose keys and values are the image's tile patches: the estimator models "
                "self-attention over the text's tokens, not attention to an image"
            )
        return None

    def _t5_groups(self) -> tuple[tuple[int, tuple[LinearModule, ...]], ...]:
        h, i, q = self.hidden_size, self.intermediate_size, self.q_dim
        dec = self.decoder_layers

        def attention(block: str, kind: ModuleKind, layers: int) -> tuple[LinearModule, ...]:
            return tuple(
                LinearModule(f"{block}.{n}", *dims, False, kind, layers=layers)
                for n, dims in (("q", (h, q)), ("k", (h, q)), ("v", (h, q)), ("o", (q, h)))
            )

        inner = ("wi_0", "wi_1") if self.gated_mlp else ("wi",)
        ffn = (
            *(LinearModule(f"DenseReluDense.{n}", h, i, False, "mlp") for n in inner),
            LinearModule("DenseReluDense.wo", i, h, False, "mlp"),
        )
        shared = (*attention("SelfAttention", "attention", 0), *ffn)
        cross = attention("EncDecAttention", "cross_attention", dec)
        return ((self.num_layers - dec, shared), (dec, (*shared, *cross)))

    def layer_modules(self) -> tuple[LinearModule, ...]:
        """The weight matrices of the decoder (or encoder) layers, named as in transformers;
        a module in only some layers says how many (`LinearModule.layers`)."""
        groups = self._layer_groups()
        if len(groups) == 1:
            return groups[0][1]
        shared = [m for m in groups[0][1] if not m.layers]  # attention: every layer
        return (*shared, *(m for _, mods in groups for m in mods if m.layers))

    def extra_modules(self) -> tuple[LinearModule, ...]:
        """Linear modules outside the layers that PEFT's `all-linear` would target (BERT)."""
        if self.layout == "bert":
            return (LinearModule("pooler.dense", self.hidden_size, self.hidden_size, True, "head"),)
        return ()

    # --- parameter counts ---------------------------------------------------------------
    def _norm_size(self, dim: int) -> int:
        return {"rms": dim, "layernorm": 2 * dim, "nonparametric": 0}[self.norm]

    @property
    def norm_params_per_layer(self) -> int:
        """Norms (and other small per-layer vectors: MLA's latent norms, attention sinks)."""
        per_layer = self.norms_per_layer * self._norm_size(self.hidden_size)
        if self.qk_norm:
            if self.qk_norm_scope == "full":
                per_layer += self.q_dim + self.kv_dim  # RMSNorm over all heads at once
            else:
                per_layer += 2 * self._norm_size(self.head_dim)
        if self.layout == "mla":  # q_a_layernorm and kv_a_layernorm are RMSNorms
            per_layer += self.q_lora_rank + self.kv_lora_rank
        if self.attention_sinks:
            per_layer += self.num_heads
        if self.sub_norms:  # BitNet's RMSNorms on o_proj's and down_proj's inputs
            per_layer += self.hidden_size + self.intermediate_size
        return per_layer + self.ssm_small_params

    @property
    def decoder_params(self) -> int:
        """All parameters of the decoder (or encoder) layers together."""
        layers = sum(count * self._group_params(mods) for count, mods in self._layer_groups())
        # Llama 3.2 Vision's cross-attention layers add RMSNorms over head_dim on q and k and
        # two scalar gates (cross_attn_attn_gate, cross_attn_mlp_gate).
        cross = self.cross_attention_layers * (2 * self._norm_size(self.head_dim) + 2)
        return layers + cross

    def _group_params(self, modules: tuple[LinearModule, ...]) -> int:
        weights = sum(m.weight_params + m.bias_params for m in modules)
        if any(m.name.startswith("linear_attn.") for m in modules):
            # Gated DeltaNet: no q/k norms; a bias-free conv1d, dt_bias and A_log per value
            # head, and a gated RMSNorm over one value head.
            small = self.linear_conv_dim * self.ssm_conv_kernel + 2 * self.linear_value_heads
            small += self.linear_value_head_dim
            return weights + self.norms_per_layer * self._norm_size(self.hidden_size) + small
        # A T5 decoder layer normalises the cross-attention's input too.
        cross = any(m.kind == "cross_attention" for m in modules)
        return weights + self.norm_params_per_layer + (self.hidden_size if cross else 0)

    @property
    def layer_linear_params(self) -> int:
        """Weights of one layer's nn.Linear matrices (what 4/8-bit quantization replaces);
        for a model whose layers differ, the largest layer."""
        return max(
            sum(m.weight_params for m in mods if m.is_linear) for _, mods in self._layer_groups()
        )

    @property
    def layer_params(self) -> int:
        """Parameters of one layer; for a model whose layers differ, the largest layer."""
        return max(self._group_params(mods) for _, mods in self._layer_groups())

    @property
    def embedding_params(self) -> int:
        """Input embeddings (token, plus learned positions and token types for BERT)."""
        h = self.hidden_size
        extra = (self.position_embeddings + self.token_type_embeddings) * h
        norm = 2 * h if self.layout in ("bert", "bloom") else 0  # embedding LayerNorm
        if self.layout == "t5":  # each stack's relative position bias
            extra += 2 * self.relative_attention_buckets * self.num_heads
        return (self.vocab_size + self.added_embedding_rows) * h + extra + norm

    @property
    def final_norm_params(self) -> int:
        if self.layout == "bert":
            return 0
        stacks = 2 if self.layout == "t5" else 1  # T5: encoder and decoder final norms
        return stacks * self._norm_size(self.hidden_size)

    @property
    def head_params(self) -> int:
        """Output layer: lm_head (0 when tied, plus Phi-2's bias) or pooler + classifier."""
        h = self.hidden_size
        if self.head == "sequence-classification":
            pooler = h * h + h if self.layout == "bert" else 0
            bias = self.num_labels if self.layout == "bert" else 0
            return pooler + h * self.num_labels + bias
        bias = self.vocab_size if self.lm_head_bias else 0
        return bias + (0 if self.tie_word_embeddings else self.vocab_size * h)

    @property
    def lm_head_params(self) -> int:
        """The vocabulary projection's own weights (0 when tied or not a causal LM)."""
        if self.head != "causal-lm" or self.tie_word_embeddings:
            return 0
        return self.vocab_size * self.hidden_size

    @property
    def output_classes(self) -> int:
        """Width of the logits the loss sees: the vocabulary, or the classifier's labels."""
        return self.vocab_size if self.head == "causal-lm" else self.num_labels

    def param_count(self) -> int:
        """All parameters, counting tied embeddings once (as `model.num_parameters()`)."""
        return (
            self.embedding_params
            + self.decoder_params
            + self.final_norm_params
            + self.head_params
            + self.extra_params
        )

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: only `experts_per_token` routed experts)."""
        if not self.is_moe:
            return self.param_count()
        per_expert = sum(
            (m.weight_params + m.bias_params) // m.count
            for m in self.layer_modules()
            if m.kind == "expert"
        )
        idle = (self.num_experts - self.experts_per_token) * per_expert
        return self.param_count() - self.moe_layers * idle

    def quantized_params(self) -> int:
        """Parameters a pre-quantized checkpoint stores in `quant_bits` (0 when none): the
        decoder's nn.Linear weights for bitsandbytes, GPTQ, AWQ, FP8 and compressed-tensors
        (biases, norms, embeddings, lm_head and fused expert tensors stay unquantized); the
        MoE expert tensors alone for MXFP4 (gpt-oss: attention, router and embeddings are in
        its `modules_to_not_convert`)."""
        if not self.quantization:
            return 0
        if self.quantization == "mxfp4":
            chosen = [m for m in self.layer_modules() if m.kind == "expert"]
        else:
            chosen = [m for m in self.layer_modules() if m.is_linear]
        return sum(m.weight_params * m.layer_count(self.num_layers) for m in chosen)

    def checkpoint_weight_bytes(self, dtype_bytes: float = 2.0) -> float:
        """Bytes of the weights as the checkpoint stores them: quantized weights at
        `quant_bits` (scales included), everything else at `dtype_bytes` (bf16: 2)."""
        quantized = self.quantized_params()
        rest = self.param_count() - quantized
        return quantized * (self.quant_bits or 0) / 8 + rest * dtype_bytes

    @property
    def display_name(self) -> str:
        return self.hf_repo or self.name
