"""Every catalog architecture, built by transformers on the meta device, has exactly the
parameter count the catalog computes (needs the [train] extra)."""

from __future__ import annotations

from typing import Any

import pytest

from tunelint.knowledge.models import ModelSpec, catalog

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
    extra: dict[str, Any] = {"head_dim": spec.head_dim}
    if spec.model_type == "mixtral":
        extra.update(num_local_experts=spec.num_experts, num_experts_per_tok=spec.experts_per_token)
    if spec.model_type == "phi3":
        extra = {}  # head_dim is hidden / heads
    config_class = transformers.AutoConfig.for_model(spec.model_type).__class__
    return config_class(**common, **extra), "causal"


@pytest.mark.parametrize("spec", catalog(), ids=lambda s: s.name)
def test_meta_device_count_matches(spec: ModelSpec) -> None:
    config, kind = _config(spec)
    auto = (
        transformers.AutoModelForCausalLM
        if kind == "causal"
        else transformers.AutoModelForSequenceClassification
    )
    with torch.device("meta"):
        model = auto.from_config(config)
    # parameters() yields a tied weight once, as the catalog counts it.
    built = sum(p.numel() for p in model.parameters())
    assert built == spec.param_count()
