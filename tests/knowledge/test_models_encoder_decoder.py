"""BLOOM and encoder-decoder T5 / mT5: config.json reading, parameter counts (equal to the
catalog entries, which the meta-device test checks against transformers) and PEFT's LoRA
defaults, hand-computed."""

from __future__ import annotations

from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.models import resolve_model, spec_from_hf_config

# The hub config.json facts of google-t5/t5-3b, bigscience/mt0-xxl and bigscience/bloomz-7b1.
T5_3B = {
    "model_type": "t5",
    "d_model": 1024,
    "d_ff": 16384,
    "d_kv": 128,
    "num_heads": 32,
    "num_layers": 24,
    "vocab_size": 32128,
    "feed_forward_proj": "relu",
}
MT0_XXL = {
    "model_type": "mt5",
    "d_model": 4096,
    "d_ff": 10240,
    "d_kv": 64,
    "num_heads": 64,
    "num_layers": 24,
    "num_decoder_layers": 24,
    "vocab_size": 250112,
    "feed_forward_proj": "gated-gelu",
    "tie_word_embeddings": False,
}
BLOOMZ_7B1 = {"model_type": "bloom", "n_embed": 4096, "n_layer": 30, "num_attention_heads": 32,
              "vocab_size": 250880}  # fmt: skip


def test_config_json_matches_the_catalog() -> None:
    for config, name in ((T5_3B, "t5-3b"), (MT0_XXL, "mt0-xxl"), (BLOOMZ_7B1, "bloomz-7b1")):
        spec = spec_from_hf_config(config, name, "test")
        assert not isinstance(spec, str), spec
        catalog = resolve_model(name)
        assert catalog is not None
        assert spec.param_count() == catalog.param_count()
        assert spec.layout == catalog.layout and spec.decoder_layers == catalog.decoder_layers


def test_t5_3b_by_hand() -> None:
    spec = resolve_model("t5-3b")
    assert spec is not None
    h, inner, ff, vocab = 1024, 32 * 128, 16384, 32128
    attention = 4 * h * inner  # q, k, v, o without biases
    encoder = 24 * (attention + 2 * h * ff + 2 * h)  # + 2 T5LayerNorm weights
    decoder = 24 * (2 * attention + 2 * h * ff + 3 * h)  # + cross-attention and its norm
    outside = vocab * h + 2 * 32 * 32 + 2 * h  # shared embedding (tied), position bias, norms
    assert spec.param_count() == encoder + decoder + outside == 2_851_598_336
    # PEFT's default LoRA targets for t5, q and v: 24 encoder self-attention blocks and 24
    # decoder blocks with self- and cross-attention, r x (in + out) for A and B.
    lora = adapter_plan(spec, "lora", r=8, targets=None)
    assert lora.trainable_params == 72 * 2 * 8 * (h + inner) == 5_898_240


def test_bloom_lora_default_is_the_fused_projection() -> None:
    spec = resolve_model("bloomz-7b1")
    assert spec is not None
    lora = adapter_plan(spec, "lora", r=8, targets=None)
    assert lora.trainable_params == 30 * 8 * (4096 + 3 * 4096) == 3_932_160
