"""Architectures read from config.json since the 2026-11-30 round (GPT-2, StarCoder2, Mamba,
Mamba-2, BitNet, LLaVA, Qwen2-VL, Qwen2.5-VL, Qwen3-VL, Llama 4, Qwen3.5): the spec tunelint reads counts
exactly the parameters transformers builds on the meta device (needs the [train] extra)."""

from __future__ import annotations

from typing import Any

import pytest

from tunelint.knowledge.models import ModelSpec, spec_from_hf_config

pytestmark = pytest.mark.train

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

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
    "model_type": "llama4_vision_model",
    "hidden_size": 32,
    "intermediate_size": 48,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "image_size": 56,
    "patch_size": 14,
    "vision_output_dim": 40,
    "projector_input_dim": 24,
    "projector_output_dim": 24,
}

CONFIGS: dict[str, dict[str, Any]] = {
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
    "mamba": {"model_type": "mamba", "hidden_size": 64, "num_hidden_layers": 3, "vocab_size": 1000},
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
            "model_type": "clip_vision_model",
            "hidden_size": 32,
            "intermediate_size": 48,
            "num_hidden_layers": 3,
            "num_attention_heads": 2,
            "image_size": 56,
            "patch_size": 14,
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
        "vision_config": {
            **_QWEN_VISION,
            "depth": 3,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 48,
            "out_hidden_size": 64,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0, 1],
        },
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
        "vision_config": {
            **_QWEN_VISION,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 48,
            "out_hidden_size": 64,
            "num_position_embeddings": 64,
            "deepstack_visual_indexes": [0],
        },
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
    "qwen3_5_text": {**_QWEN35_TEXT, "model_type": "qwen3_5_text", "full_attention_interval": 2},
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
        "vision_config": {
            **_QWEN_VISION,
            "patch_size": 16,
            "hidden_size": 32,
            "intermediate_size": 48,
            "out_hidden_size": 64,
            "num_position_embeddings": 64,
        },
    },
}

_MULTIMODAL = {
    "llava",
    "qwen2_vl",
    "qwen2_5_vl",
    "qwen3_vl",
    "qwen3_vl_moe",
    "llama4",
    "qwen3_5_moe",
}


def _built_params(config: dict[str, Any]) -> int:
    cfg = transformers.AutoConfig.for_model(**config)
    auto = transformers.AutoModelForCausalLM
    if config["model_type"] in _MULTIMODAL:
        auto = transformers.AutoModelForImageTextToText
    with torch.device("meta"):
        model = auto.from_config(cfg)
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("config", CONFIGS.values(), ids=list(CONFIGS))
def test_config_json_count_matches_transformers(config: dict[str, Any]) -> None:
    spec = spec_from_hf_config(config, "test/model", "config.json")
    assert isinstance(spec, ModelSpec), spec
    assert spec.notes == ()  # nothing read as a guess: every part is counted
    assert spec.param_count() == _built_params(config)
