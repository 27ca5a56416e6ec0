"""A `ModelSpec` from a transformers `config.json` (local folder, HF cache or the Hub).

How each `model_type` maps onto the spec's layouts lives in data/architectures.toml (read from
transformers 5.24's modeling files). Multimodal wrappers (Gemma 3, LLaVA, Qwen-VL, Llama 4, ...)
keep their text model in `text_config`; their vision tower and projector are counted into
`extra_params` (model_vision.py). A `quantization_config` (bitsandbytes, GPTQ, AWQ, FP8, MXFP4,
compressed-tensors, AQLM, BitNet) says how many bits a stored quantized weight takes, scales
(and AQLM's codebooks) included.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from tunelint.knowledge import data_files
from tunelint.knowledge.model_spec import ModelSpec

_ARCHITECTURES = Path(__file__).parent / "data" / "architectures.toml"


@cache
def architectures() -> dict[str, dict[str, Any]]:
    """model_type -> how to read it (data/architectures.toml, loaded once)."""
    return data_files.load(_ARCHITECTURES.name)


def _int(cfg: dict[str, Any], *keys: str, default: int = 0) -> int:
    """The first key present with a number (config.json writes null for "not used")."""
    for key in keys:
        value = cfg.get(key)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            return int(value)
    return default


def _widest(value: Any) -> int:
    """A per-layer list of MLP widths (Gemma 3n's `intermediate_size`): the widest."""
    if not isinstance(value, list):
        return 0
    return max((int(v) for v in value if isinstance(v, int) and not isinstance(v, bool)), default=0)


def _text_config(config: dict[str, Any]) -> dict[str, Any]:
    text = config.get("text_config")
    if not isinstance(text, dict):
        return config
    merged = dict(text)
    if "model_type" not in merged and config.get("model_type"):
        merged["model_type"] = f"{config['model_type']}_text"  # gemma3 -> gemma3_text
    # A wrapper states the tie for the whole model (Gemma3Config.tie_word_embeddings).
    if "tie_word_embeddings" not in merged and "tie_word_embeddings" in config:
        merged["tie_word_embeddings"] = config["tie_word_embeddings"]
    return merged


def siglip_vision_params(vision: dict[str, Any], text_hidden: int) -> int | None:
    """Parameters of a SigLIP vision tower plus Gemma 3's projector (modeling_siglip.py,
    Gemma3MultiModalProjector); None for another vision model."""
    if vision.get("model_type", "siglip_vision_model") != "siglip_vision_model":
        return None
    from tunelint.knowledge import model_vision

    return model_vision.siglip(vision, {}, text_hidden)


def quantization_bits(qc: dict[str, Any]) -> tuple[str, float] | None:
    """(method, stored bits per quantized weight incl. scales) of a `quantization_config`."""
    method = str(qc.get("quant_method", "")).lower()
    if method == "bitsandbytes":
        if qc.get("load_in_4bit"):
            # one fp32 absmax per 64 weights; double quantization stores it as 8 bits plus
            # one fp32 per 256 blocks (bitsandbytes' blockwise quantization).
            double = qc.get("bnb_4bit_use_double_quant", False)
            return "bnb-4bit", 4 + (8 / 64 + 32 / (64 * 256) if double else 32 / 64)
        if qc.get("load_in_8bit"):
            return "bnb-8bit", 8.0
        return None
    if method in ("gptq", "awq"):
        bits = float(qc.get("bits", qc.get("w_bit", 4)) or 4)
        group = int(qc.get("group_size", qc.get("q_group_size", 128)) or 128)
        # per group and output: an fp16 scale and a packed zero point
        overhead = (16 + bits) / group if group > 0 else 0.0
        return method, bits + overhead
    if method == "fp8":
        block = qc.get("weight_block_size")
        if isinstance(block, list) and len(block) == 2 and all(isinstance(b, int) for b in block):
            return "fp8", 8 + 32 / (block[0] * block[1])  # one fp32 scale per block
        return "fp8", 8.0
    if method == "mxfp4":
        return "mxfp4", 4 + 8 / 32  # OCP MX: an 8-bit shared exponent per 32 values
    if method == "aqlm":
        # Each code indexes a codebook vector of in x out group weights (aqlm QuantizedLinear);
        # the per-matrix codebooks and scales are added by aqlm_matrix_bits.
        group = _int(qc, "in_group_size", default=8) * _int(qc, "out_group_size", default=1)
        codes = _int(qc, "num_codebooks", default=1) * _int(qc, "nbits_per_codebook", default=16)
        return "aqlm", codes / group
    if method == "bitnet":
        # BitLinear packs four ternary weights per uint8 (integrations/bitnet.py,
        # VALUES_PER_ITEM); "online" AutoBitLinear keeps full-precision weights instead.
        if str(qc.get("quantization_mode", "offline")) == "online":
            return None
        return "bitnet", 2.0
    if method == "compressed-tensors":
        groups = qc.get("config_groups")
        if isinstance(groups, dict):
            for group in groups.values():
                weights = group.get("weights") if isinstance(group, dict) else None
                if isinstance(weights, dict) and isinstance(weights.get("num_bits"), int):
                    return "compressed-tensors", float(weights["num_bits"])
        return None
    return None


def aqlm_matrix_bits(qc: dict[str, Any], in_features: int, out_features: int) -> float:
    """Bits AQLM stores per quantized matrix besides its codes: fp16 codebooks
    [codebooks, 2^nbits, out_group, in_group] and one fp16 scale per output group."""
    out_group = _int(qc, "out_group_size", default=1)
    entries = 2 ** _int(qc, "nbits_per_codebook", default=16)
    books = _int(qc, "num_codebooks", default=1) * entries * _int(qc, "in_group_size", default=8)
    return 16.0 * (books * out_group + out_features // max(out_group, 1))


def _with_aqlm_overhead(spec: ModelSpec, qc: dict[str, Any]) -> ModelSpec:
    """Spread AQLM's per-matrix codebooks and scales over the quantized weights."""
    weights = spec.quantized_params()
    if not weights or spec.quant_bits is None:
        return spec
    extra = sum(
        aqlm_matrix_bits(qc, m.in_features, m.out_features)
        * m.count
        * m.layer_count(spec.num_layers)
        for m in spec.layer_modules()
        if m.is_linear
    )
    return replace(spec, quant_bits=spec.quant_bits + extra / weights)


def _moe_layer_count(cfg: dict[str, Any], layers: int) -> int:
    """Llama 4: the layers listed in `moe_layers`, else every `interleave_moe_layer_step`-th
    (Llama4TextConfig.__post_init__)."""
    listed = cfg.get("moe_layers")
    if isinstance(listed, list):
        return len([i for i in listed if isinstance(i, int) and 0 <= i < layers])
    step = max(_int(cfg, "interleave_moe_layer_step", default=1), 1)
    return len(range(step - 1, layers, step))


def _moe_fields(cfg: dict[str, Any], model_type: str, layers: int) -> dict[str, Any]:
    experts = _int(cfg, "num_local_experts", "n_routed_experts", "num_experts")
    if not experts:
        return {}
    fields: dict[str, Any] = {
        "num_experts": experts,
        "experts_per_token": _int(cfg, "num_experts_per_tok", "experts_per_token"),
        "moe_intermediate_size": _int(cfg, "moe_intermediate_size"),
    }
    if model_type in ("deepseek_v2", "deepseek_v3"):
        shared = _int(cfg, "n_shared_experts")
        fields["shared_expert_intermediate_size"] = shared * fields["moe_intermediate_size"]
        fields["dense_layers"] = min(_int(cfg, "first_k_dense_replace"), layers)
    elif model_type in ("qwen2_moe", "qwen3_moe", "qwen3_vl_moe_text"):
        step = max(_int(cfg, "decoder_sparse_step", default=1), 1)
        only = cfg.get("mlp_only_layers") or []
        sparse = [i for i in range(layers) if i not in only and (i + 1) % step == 0]
        fields["dense_layers"] = layers - len(sparse)
        if model_type == "qwen2_moe":
            fields["shared_expert_intermediate_size"] = _int(cfg, "shared_expert_intermediate_size")
            fields["shared_expert_gate"] = True
    elif model_type == "qwen3_5_moe_text":  # every layer MoE, Qwen2-MoE's gated shared expert
        fields["shared_expert_intermediate_size"] = _int(cfg, "shared_expert_intermediate_size")
        fields["shared_expert_gate"] = True
    elif model_type == "llama4_text":  # experts and the shared expert are intermediate_size wide
        fields["moe_intermediate_size"] = _int(cfg, "intermediate_size")
        fields["shared_expert_intermediate_size"] = _int(cfg, "intermediate_size")
        fields["dense_layers"] = layers - _moe_layer_count(cfg, layers)
    return fields


def _linear_attention_fields(cfg: dict[str, Any], layers: int) -> dict[str, Any]:
    """Qwen3.5's Gated DeltaNet layers: `layer_types`, else every layer but each
    `full_attention_interval`-th (Qwen3_5TextConfig.__post_init__, default 4)."""
    if "linear_num_value_heads" not in cfg:
        return {}
    types = cfg.get("layer_types")
    if isinstance(types, list) and len(types) == layers:
        linear = sum(1 for t in types if t == "linear_attention")
    else:
        interval = max(_int(cfg, "full_attention_interval", default=4), 1)
        linear = sum(1 for i in range(layers) if (i + 1) % interval)
    return {
        "linear_attention_layers": linear,
        "linear_key_heads": _int(cfg, "linear_num_key_heads", default=16),
        "linear_value_heads": _int(cfg, "linear_num_value_heads", default=32),
        "linear_key_head_dim": _int(cfg, "linear_key_head_dim", default=128),
        "linear_value_head_dim": _int(cfg, "linear_value_head_dim", default=128),
        "ssm_conv_kernel": _int(cfg, "linear_conv_kernel_dim", default=4),
    }


def _cross_attention_layers(cfg: dict[str, Any], layers: int) -> int:
    """Llama 3.2 Vision: the decoder layers listed in `cross_attention_layers`
    (MllamaTextModel builds a MllamaCrossAttentionDecoderLayer for each)."""
    listed = cfg.get("cross_attention_layers")
    if not isinstance(listed, list):
        return 0
    return len({i for i in listed if isinstance(i, int) and 0 <= i < layers})


def _ssm_fields(cfg: dict[str, Any], layout: str, hidden: int) -> dict[str, Any]:
    """Mamba / Mamba-2 mixer dimensions (MambaConfig, Mamba2Config: the inner width is
    expand x hidden; time_step_rank "auto" is ceil(hidden / 16))."""
    if layout not in ("mamba", "mamba2"):
        return {}
    rank = cfg.get("time_step_rank", "auto")
    fields: dict[str, Any] = {
        "intermediate_size": _int(cfg, "expand", default=2) * hidden,
        "ssm_state_size": _int(cfg, "state_size", default=16),
        "ssm_conv_kernel": _int(cfg, "conv_kernel", default=4),
        "ssm_conv_bias": bool(cfg.get("use_conv_bias", True)),
        "ssm_dt_rank": rank if isinstance(rank, int) else -(-hidden // 16),
        "mlp_bias": bool(cfg.get("use_bias", False)),
    }
    if layout == "mamba2":
        fields["ssm_groups"] = _int(cfg, "n_groups", default=8)
        fields["ssm_heads"] = _int(cfg, "num_heads", default=128)
    return fields


def spec_from_hf_config(config: dict[str, Any], name: str, source: str) -> ModelSpec | str:
    """A spec from a transformers `config.json` dict, or the reason it cannot be read."""
    cfg = _text_config(config)
    # A multimodal wrapper: a text_config, or (older Qwen2-VL files) a vision_config beside
    # the text model's own keys.
    multimodal = cfg is not config or isinstance(config.get("vision_config"), dict)
    wrapper = str(config.get("model_type") or "") if multimodal else ""
    model_type = str(cfg.get("model_type") or config.get("model_type") or "")
    notes: list[str] = []
    arch = architectures().get(model_type)
    if arch is None:
        if not all(k in cfg for k in ("hidden_size", "num_hidden_layers", "num_attention_heads")):
            return f"config.json of {name} has no model_type the estimator knows ({model_type!r})"
        arch = {"layout": "llama", "attention_bias": "config", "mlp_bias": "config"}
        notes.append(f"model_type {model_type or '?'} read as a Llama-like decoder")
    cfg = {**arch.get("defaults", {}), **cfg}
    layout = arch["layout"]
    hidden = _int(cfg, "hidden_size", "d_model", "n_embed", "n_embd")
    layers = _int(cfg, "num_hidden_layers", "n_layer", "num_layers")
    ssm = _ssm_fields(cfg, layout, hidden)
    # A state-space model has no attention heads; one nominal head keeps the dimensions whole.
    heads = 1 if ssm else _int(cfg, "num_attention_heads", "n_head", "num_heads")
    vocab = _int(cfg, "vocab_size")
    width_key = arch.get("intermediate_key", "intermediate_size")  # Llama 4's dense MLP width
    intermediate = (
        ssm.pop("intermediate_size", 0)
        or _int(cfg, width_key, "ffn_hidden_size", "moe_intermediate_size", "d_ff", "n_inner")
        or _widest(cfg.get(width_key))
        or hidden * int(arch.get("intermediate_factor", 0))
    )
    encoder_decoder = layout == "t5"
    decoder_layers = _int(cfg, "num_decoder_layers", default=layers) if encoder_decoder else 0
    if not (hidden and layers and heads and vocab and intermediate):
        return f"config.json of {name} lacks hidden/intermediate size, layers, heads or vocab"
    if model_type == "qwen":
        intermediate //= 2  # Qwen-1 states the sum of w1 and w2
    kv_heads = _int(cfg, "num_key_value_heads", default=heads)
    head_dim = _int(cfg, "head_dim", "kv_channels", "d_kv", default=hidden // heads)
    bias_rule = arch.get("attention_bias", "none")
    attention_bias = bool(cfg.get("attention_bias", arch.get("attention_bias_default", False)))
    use_bias = bool(cfg.get("use_bias", True))  # StarCoder2: one key for every projection
    qkv_bias = {
        "config": attention_bias,
        "qkv": True,
        "qkv_bias": bool(cfg.get("qkv_bias", True)),
        "all": True,
        "use_bias": use_bias,
    }.get(bias_rule, False)
    out_bias = {"config": attention_bias, "all": True, "use_bias": use_bias}.get(bias_rule, False)
    mlp_rule = arch.get("mlp_bias", "none")
    mlp_bias = mlp_rule == "all" or (mlp_rule == "config" and bool(cfg.get("mlp_bias", False)))
    mlp_bias = ssm.pop("mlp_bias", use_bias if mlp_rule == "use_bias" else mlp_bias)
    qk_rule = arch.get("qk_norm", "none")
    qk_norm = qk_rule in ("head", "full") or (
        qk_rule == "config" and bool(cfg.get("qk_layernorm", False))
    )
    mla: dict[str, Any] = {}
    if layout == "mla":
        mla = {
            "q_lora_rank": _int(cfg, "q_lora_rank"),
            "kv_lora_rank": _int(cfg, "kv_lora_rank"),
            "qk_nope_head_dim": _int(cfg, "qk_nope_head_dim"),
            "qk_rope_head_dim": _int(cfg, "qk_rope_head_dim"),
            "v_head_dim": _int(cfg, "v_head_dim"),
        }
        head_dim = mla["qk_nope_head_dim"] + mla["qk_rope_head_dim"]
        kv_heads = heads  # MLA decompresses keys and values for every head
    extra = 0
    vision = config.get("vision_config")
    uncounted = str(arch.get("uncounted", ""))
    if uncounted:  # Gemma 3n: parts no formula here counts; the total is the text model's
        notes.append(f"the parameter count covers only the text decoder's layout: {uncounted}")
    if isinstance(vision, dict) and wrapper:
        from tunelint.knowledge import model_vision

        counted = model_vision.vision_params(config, hidden)
        if counted is None:
            notes.append(f"vision tower ({vision.get('model_type', wrapper)}) not counted")
        extra = counted or 0
    quant = config.get("quantization_config")
    quantization = quantization_bits(quant) if isinstance(quant, dict) else None
    if isinstance(quant, dict) and quantization is None and not _full_precision(quant):
        notes.append(f"quantization_config {quant.get('quant_method', '?')!r} not understood")
    is_bert = layout == "bert"
    positions = _int(cfg, "max_position_embeddings", "n_positions")
    learned_positions = arch.get("learned_positions", is_bert)
    gated = arch.get("gated_mlp", not is_bert)
    if encoder_decoder and "feed_forward_proj" in cfg:
        gated = str(cfg["feed_forward_proj"]).startswith("gated")
    # Naming and small layout facts stated per architecture (mlp_prefix, router_name, ...).
    named = {k: tuple(v) if isinstance(v, list) else v for k, v in arch.get("spec", {}).items()}
    spec = ModelSpec(
        name=name,
        model_type=model_type,
        layout=layout,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_layers=layers + decoder_layers,
        decoder_layers=decoder_layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=vocab,
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", arch.get("tie_default", False))),
        qkv_bias=qkv_bias,
        attn_out_bias=out_bias,
        mlp_bias=mlp_bias,
        gated_mlp=gated,
        norm=arch.get("norm", "rms"),
        norms_per_layer=arch.get("norms_per_layer", 2),
        qk_norm=qk_norm,
        qk_norm_scope="full" if qk_rule == "full" else "head",
        router_bias=arch.get("router_bias", False),
        expert_bias=arch.get("expert_bias", False),
        attention_sinks=arch.get("attention_sinks", False),
        lm_head_bias=arch.get("lm_head_bias", False),
        extra_params=extra,
        cross_attention_layers=_cross_attention_layers(cfg, layers),
        uncounted=uncounted,
        wrapper_model_type=wrapper or None,
        quantization=quantization[0] if quantization else None,
        quant_bits=quantization[1] if quantization else None,
        position_embeddings=positions if learned_positions else 0,
        token_type_embeddings=_int(cfg, "type_vocab_size") if is_bert else 0,
        head="sequence-classification" if is_bert else "causal-lm",
        max_position_embeddings=positions or None,
        hidden_dropout=float(cfg.get("hidden_dropout_prob", 0.0) or 0.0),
        attention_dropout=float(
            cfg.get("attention_dropout", cfg.get("attention_probs_dropout_prob", 0.0)) or 0.0
        ),
        hf_repo=name if "/" in name and not _exists(name) else None,
        source=source,
        notes=tuple(notes),
        **_moe_fields(cfg, model_type, layers),
        **mla,
        **ssm,
        **_linear_attention_fields(cfg, layers),
        **named,
    )
    if isinstance(quant, dict) and spec.quantization == "aqlm":
        return _with_aqlm_overhead(spec, quant)
    return spec


def _full_precision(qc: dict[str, Any]) -> bool:
    """A quantization_config whose checkpoint keeps full-precision weights (BitNet's "online"
    AutoBitLinear quantizes at each forward pass)."""
    return str(qc.get("quant_method", "")).lower() == "bitnet" and (
        str(qc.get("quantization_mode", "offline")) == "online"
    )


def _exists(name: str) -> bool:
    try:
        return Path(name).exists()
    except (OSError, ValueError):
        return False
