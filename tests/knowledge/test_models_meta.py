"""Every catalog architecture, built by transformers on the meta device, has exactly the
parameter count the catalog computes (needs the [train] extra)."""

from __future__ import annotations

from typing import Any

import pytest

from tunelint.knowledge.models import ModelSpec, catalog, catalog_config, spec_from_hf_config

pytestmark = pytest.mark.train

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")


def _config(spec: ModelSpec) -> tuple[Any, str]:
    """A transformers config with the spec's dimensions, and the Auto class to build it."""
    common = {
        "hidden_size": spec.hidden_size,
        "intermediate_size": spec.intermediate_size,
        "num_hidden_layers": spec.num_layers,
        "num_attention_heads": spec.num_heads,
        "num_key_value_heads": spec.num_kv_heads,
        "vocab_size": spec.vocab_size,
        "tie_word_embeddings": spec.tie_word_embeddings,
    }
    if spec.model_type == "qwen":
        # Qwen-1 needs remote code; its layout is Qwen2's (q/k/v bias, RMSNorm, SwiGLU,
        # untied head) with as many key/value heads as query heads.
        return transformers.Qwen2Config(**common), "causal"
    if spec.model_type == "bert":
        cfg = transformers.BertConfig(
            hidden_size=spec.hidden_size,
            intermediate_size=spec.intermediate_size,
            num_hidden_layers=spec.num_layers,
            num_attention_heads=spec.num_heads,
            vocab_size=spec.vocab_size,
            max_position_embeddings=spec.position_embeddings,
            type_vocab_size=spec.token_type_embeddings,
            num_labels=spec.num_labels,
        )
        return cfg, "classification"
    if spec.layout == "t5":
        encoder = spec.num_layers - spec.decoder_layers
        t5 = transformers.AutoConfig.for_model(spec.model_type).__class__.from_dict(
            {
                "d_model": spec.hidden_size,
                "d_ff": spec.intermediate_size,
                "d_kv": spec.head_dim,
                "num_heads": spec.num_heads,
                "num_layers": encoder,
                "num_decoder_layers": spec.decoder_layers,
                "vocab_size": spec.vocab_size,
                "feed_forward_proj": "gated-gelu" if spec.gated_mlp else "relu",
            }
        )
        t5.tie_word_embeddings = spec.tie_word_embeddings
        return t5, "seq2seq"
    if spec.layout == "bloom":
        bloom = transformers.BloomConfig(
            hidden_size=spec.hidden_size,
            n_layer=spec.num_layers,
            n_head=spec.num_heads,
            vocab_size=spec.vocab_size,
        )
        return bloom, "causal"
    extra: dict[str, Any] = {"head_dim": spec.head_dim}
    if spec.model_type == "mixtral":
        extra.update(num_local_experts=spec.num_experts, num_experts_per_tok=spec.experts_per_token)
    if spec.model_type == "phi3":
        extra = {}  # head_dim is hidden / heads
    config_class = transformers.AutoConfig.for_model(spec.model_type).__class__
    return config_class(**common, **extra), "causal"


# Gemma 3n states what its count leaves out (`uncounted`: timm's vision tower, AltUp, ...), so
# no exact count is claimed for it; tests/knowledge/test_models_catalog2.py checks it says so.
COUNTED = [spec for spec in catalog() if not spec.uncounted]


@pytest.mark.parametrize("spec", COUNTED, ids=lambda s: s.name)
def test_meta_device_count_matches(spec: ModelSpec) -> None:
    stated = catalog_config(spec)
    if stated is not None:  # the entry holds the model's own config.json facts
        # TOML has no null: the catalog writes config.json's `"q_lora_rank": null` as 0.
        if stated.get("q_lora_rank") == 0:
            stated = {**stated, "q_lora_rank": None}
        assert spec.param_count() == _built_params(stated)
        return
    config, kind = _config(spec)
    auto = {
        "causal": transformers.AutoModelForCausalLM,
        "seq2seq": transformers.AutoModelForSeq2SeqLM,
    }.get(kind, transformers.AutoModelForSequenceClassification)
    with torch.device("meta"):
        model = auto.from_config(config)
    # parameters() yields a tied weight once, as the catalog counts it.
    built = sum(p.numel() for p in model.parameters())
    if kind == "seq2seq" and not spec.tie_word_embeddings:
        # transformers 5 also unties each stack's embed_tokens from `shared` when
        # tie_word_embeddings is false; the catalog counts transformers 4.x's sharing (one
        # embedding for both stacks, a separate lm_head), the stack the measured runs used.
        built -= 2 * spec.vocab_size * spec.hidden_size
    assert built == spec.param_count()


# One small config.json per architecture (same formulas as the full sizes), as the Hub
# writes them: the spec read by tunelint must count exactly what transformers builds.
_SMALL = {
    "hidden_size": 64,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "vocab_size": 1000,
    "pad_token_id": 0,
}
_SMALL_VIT = {  # a ViT tower of a multimodal wrapper (SigLIP, CLIP, Llama 4's)
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 56,
    "patch_size": 14,
}
ARCHITECTURES: dict[str, dict[str, Any]] = {
    "llama": {**_SMALL, "model_type": "llama", "intermediate_size": 128, "num_key_value_heads": 2},
    "llama-bias": {
        **_SMALL,
        "model_type": "llama",
        "intermediate_size": 128,
        "attention_bias": True,
        "mlp_bias": True,
        "tie_word_embeddings": True,
    },
    "mistral": {**_SMALL, "model_type": "mistral", "intermediate_size": 96, "head_dim": 32},
    "mixtral": {
        **_SMALL,
        "model_type": "mixtral",
        "intermediate_size": 96,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
        "num_key_value_heads": 2,
    },
    "qwen2": {**_SMALL, "model_type": "qwen2", "intermediate_size": 128, "num_key_value_heads": 2},
    "qwen2_moe": {
        **_SMALL,
        "model_type": "qwen2_moe",
        "intermediate_size": 128,
        "moe_intermediate_size": 32,
        "shared_expert_intermediate_size": 64,
        "num_experts": 6,
        "num_experts_per_tok": 2,
        "decoder_sparse_step": 1,
        "mlp_only_layers": [1],
    },
    "qwen3": {
        **_SMALL,
        "model_type": "qwen3",
        "intermediate_size": 128,
        "num_key_value_heads": 2,
        "head_dim": 32,
        "tie_word_embeddings": True,
    },
    "qwen3_moe": {
        **_SMALL,
        "model_type": "qwen3_moe",
        "intermediate_size": 128,
        "moe_intermediate_size": 24,
        "num_experts": 8,
        "num_experts_per_tok": 2,
        "num_key_value_heads": 2,
        "head_dim": 16,
    },
    "gemma": {**_SMALL, "model_type": "gemma", "intermediate_size": 128, "head_dim": 32},
    "gemma2": {**_SMALL, "model_type": "gemma2", "intermediate_size": 128, "head_dim": 16},
    "gemma3_text": {**_SMALL, "model_type": "gemma3_text", "intermediate_size": 128},
    "gemma3-multimodal": {
        "model_type": "gemma3",
        "text_config": {**_SMALL, "model_type": "gemma3_text", "intermediate_size": 128},
        "vision_config": {
            **_SMALL_VIT,
            "model_type": "siglip_vision_model",
            "vision_use_head": False,
        },
        "mm_tokens_per_image": 4,
    },
    "phi-2": {**_SMALL, "model_type": "phi", "intermediate_size": 256},
    "phi-qk-layernorm": {
        **_SMALL,
        "model_type": "phi",
        "intermediate_size": 256,
        "qk_layernorm": True,
    },
    "phi3": {**_SMALL, "model_type": "phi3", "intermediate_size": 128, "num_key_value_heads": 2},
    "deepseek_v2-lite": {
        **_SMALL,
        "model_type": "deepseek_v2",
        "intermediate_size": 128,
        "moe_intermediate_size": 24,
        "n_routed_experts": 8,
        "n_shared_experts": 2,
        "num_experts_per_tok": 2,
        "first_k_dense_replace": 1,
        "q_lora_rank": None,
        "kv_lora_rank": 16,
        "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8,
        "v_head_dim": 16,
    },
    "deepseek_v3": {
        **_SMALL,
        "model_type": "deepseek_v3",
        "intermediate_size": 128,
        "moe_intermediate_size": 24,
        "n_routed_experts": 8,
        "n_shared_experts": 1,
        "num_experts_per_tok": 2,
        "n_group": 2,
        "topk_group": 1,
        "first_k_dense_replace": 1,
        "q_lora_rank": 24,
        "kv_lora_rank": 16,
        "qk_nope_head_dim": 16,
        "qk_rope_head_dim": 8,
        "v_head_dim": 16,
    },
    "gpt_oss": {
        **_SMALL,
        "model_type": "gpt_oss",
        "intermediate_size": 64,
        "num_local_experts": 4,
        "num_experts_per_tok": 2,
        "num_key_value_heads": 2,
        "head_dim": 16,
    },
    "olmo": {**_SMALL, "model_type": "olmo", "intermediate_size": 128},
    "olmo2": {**_SMALL, "model_type": "olmo2", "intermediate_size": 128, "num_key_value_heads": 2},
    "olmoe": {
        **_SMALL,
        "model_type": "olmoe",
        "intermediate_size": 32,
        "num_experts": 8,
        "num_experts_per_tok": 2,
    },
    "smollm3": {**_SMALL, "model_type": "smollm3", "intermediate_size": 128},
    "granite": {**_SMALL, "model_type": "granite", "intermediate_size": 128},
}

_TEXT = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 3,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
    "pad_token_id": 0,
}
_QWEN_VISION = {
    "depth": 2,
    "num_heads": 2,
    "patch_size": 14,
    "temporal_patch_size": 2,
    "spatial_merge_size": 2,
    "in_channels": 3,
}
_QWEN3_VISION = {
    **_QWEN_VISION,
    "patch_size": 16,
    "hidden_size": 32,
    "intermediate_size": 48,
    "out_hidden_size": 64,
    "num_position_embeddings": 64,
}
_QWEN35_TEXT = {
    **_TEXT,
    "head_dim": 16,
    "linear_num_value_heads": 4,
    "linear_num_key_heads": 2,
    "linear_key_head_dim": 8,
    "linear_value_head_dim": 12,
    "linear_conv_kernel_dim": 3,
}
_LLAMA4_TEXT = {
    **_TEXT,
    "model_type": "llama4_text",
    "num_hidden_layers": 4,
    "intermediate_size": 96,
    "intermediate_size_mlp": 128,
    "head_dim": 16,
    "num_local_experts": 4,
    "num_experts_per_tok": 1,
}
_LLAMA4_VISION = {
    **_SMALL_VIT,
    "model_type": "llama4_vision_model",
    "vision_output_dim": 40,
    "projector_input_dim": 24,
    "projector_output_dim": 24,
}

# Architectures added 2026-11-30: GPT-2, StarCoder2, Mamba, Mamba-2, BitNet, LLaVA, Qwen2-VL,
# Qwen2.5-VL (text keys at the top level), Qwen3-VL (+MoE), Llama 4, Qwen3.5.
ARCHITECTURES.update(
    {
        "gpt2": {
            "model_type": "gpt2",
            "n_embd": 64,
            "n_layer": 3,
            "n_head": 4,
            "n_positions": 128,
            "vocab_size": 1000,
        },
        "gpt2-n_inner-untied": {
            "model_type": "gpt2",
            "n_embd": 64,
            "n_layer": 2,
            "n_head": 4,
            "n_inner": 96,
            "n_positions": 64,
            "vocab_size": 1000,
            "tie_word_embeddings": False,
        },
        "starcoder2": {**_TEXT, "model_type": "starcoder2"},
        "starcoder2-no-bias-untied": {
            **_TEXT,
            "model_type": "starcoder2",
            "use_bias": False,
            "tie_word_embeddings": False,
        },
        "mamba": {
            "model_type": "mamba",
            "hidden_size": 64,
            "num_hidden_layers": 3,
            "vocab_size": 1000,
        },
        "mamba-stated-rank-bias": {
            "model_type": "mamba",
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "vocab_size": 1000,
            "state_size": 8,
            "expand": 3,
            "time_step_rank": 7,
            "use_bias": True,
            "use_conv_bias": False,
        },
        "mamba2": {
            "model_type": "mamba2",
            "hidden_size": 64,
            "num_hidden_layers": 2,
            "vocab_size": 1000,
            "num_heads": 8,
            "head_dim": 16,
            "n_groups": 2,
            "state_size": 16,
        },
        "bitnet": {**_TEXT, "model_type": "bitnet"},
        "llava": {
            "model_type": "llava",
            "text_config": {**_TEXT, "model_type": "llama"},
            "vision_config": {
                **_SMALL_VIT,
                "model_type": "clip_vision_model",
                "num_hidden_layers": 3,
            },
        },
        "qwen2_vl": {
            "model_type": "qwen2_vl",
            "text_config": {**_TEXT, "model_type": "qwen2_vl_text"},
            "vision_config": {**_QWEN_VISION, "embed_dim": 32, "hidden_size": 64, "mlp_ratio": 3},
        },
        "qwen2_5_vl-top-level-text": {
            **_TEXT,
            "model_type": "qwen2_5_vl",
            "vision_config": {
                **_QWEN_VISION,
                "model_type": "qwen2_5_vl",
                "hidden_size": 32,
                "intermediate_size": 48,
                "out_hidden_size": 64,
                "fullatt_block_indexes": [1],
            },
        },
        "qwen3_vl": {
            "model_type": "qwen3_vl",
            "text_config": {**_TEXT, "model_type": "qwen3_vl_text", "head_dim": 16},
            "vision_config": {**_QWEN3_VISION, "depth": 3, "deepstack_visual_indexes": [0, 1]},
        },
        "qwen3_vl_moe": {
            "model_type": "qwen3_vl_moe",
            "text_config": {
                **_TEXT,
                "model_type": "qwen3_vl_moe_text",
                "head_dim": 16,
                "moe_intermediate_size": 24,
                "num_experts": 4,
                "num_experts_per_tok": 2,
                "decoder_sparse_step": 1,
                "mlp_only_layers": [1],
            },
            "vision_config": {**_QWEN3_VISION, "deepstack_visual_indexes": [0]},
        },
        "llama4-all-moe": {
            "model_type": "llama4",
            "text_config": {**_LLAMA4_TEXT, "interleave_moe_layer_step": 1},
            "vision_config": _LLAMA4_VISION,
        },
        "llama4-interleaved": {
            "model_type": "llama4",
            "text_config": {**_LLAMA4_TEXT, "interleave_moe_layer_step": 2},
            "vision_config": _LLAMA4_VISION,
        },
        "llama4_text-moe-layers": {**_LLAMA4_TEXT, "moe_layers": [0, 3], "attention_bias": True},
        "qwen3_5_text": {
            **_QWEN35_TEXT,
            "model_type": "qwen3_5_text",
            "full_attention_interval": 2,
        },
        "qwen3_5_text-layer-types": {
            **_QWEN35_TEXT,
            "model_type": "qwen3_5_text",
            "layer_types": ["full_attention", "linear_attention", "linear_attention"],
            "tie_word_embeddings": True,
        },
        "qwen3_5_moe": {
            "model_type": "qwen3_5_moe",
            "text_config": {
                **_QWEN35_TEXT,
                "model_type": "qwen3_5_moe_text",
                "num_hidden_layers": 4,
                "moe_intermediate_size": 24,
                "shared_expert_intermediate_size": 32,
                "num_experts": 4,
                "num_experts_per_tok": 2,
            },
            "vision_config": _QWEN3_VISION,  # Qwen3.5: no DeepStack mergers
        },
    }
)


# Llama 3.2 Vision (mllama): cross-attention layers in the text model, a tiled local + global
# vision encoder; one with the default eight aspect ratios, one stating its own.
_MLLAMA_VISION = {
    **_SMALL_VIT,
    "model_type": "mllama_vision_model",
    "attention_heads": 2,
    "num_global_layers": 2,
    "intermediate_layers_indices": [0, 1],
    "vision_output_dim": 96,
}
ARCHITECTURES.update(
    {
        "mllama": {
            "model_type": "mllama",
            "text_config": {
                **_TEXT,
                "model_type": "mllama_text_model",
                "num_hidden_layers": 4,
                "cross_attention_layers": [1, 3],
            },
            "vision_config": _MLLAMA_VISION,
        },
        "mllama-aspect-ratios": {
            "model_type": "mllama",
            "text_config": {
                **_TEXT,
                "model_type": "mllama_text_model",
                "cross_attention_layers": [0],
            },
            "vision_config": {
                **_MLLAMA_VISION,
                "max_num_tiles": 2,
                "supported_aspect_ratios": [[1, 1], [1, 2], [2, 1]],
            },
        },
    }
)


def _built_params(config: dict[str, Any]) -> int:
    cfg = transformers.AutoConfig.for_model(**config)
    auto = transformers.AutoModelForCausalLM
    if "vision_config" in config:  # a multimodal wrapper: Gemma 3, LLaVA, Qwen-VL, Llama 4
        auto = transformers.AutoModelForImageTextToText
    with torch.device("meta"):
        model = auto.from_config(cfg)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("config", ARCHITECTURES.values(), ids=list(ARCHITECTURES))
def test_config_json_count_matches_transformers(config: dict[str, Any]) -> None:
    spec = spec_from_hf_config(config, "test/model", "config.json")
    assert isinstance(spec, ModelSpec), spec
    assert spec.notes == ()  # nothing read as a guess: every part is counted
    assert spec.param_count() == _built_params(config)
