"""Issue 11's last corpus models: StarCoder2, DeepSeek-V2 / V2.5, Llama 3.2 Vision and
Gemma 3n resolve offline from the catalog; the ones the estimator cannot model say why."""

from __future__ import annotations

import pytest

from tunelint.config.plan import Plan
from tunelint.knowledge import model_config
from tunelint.knowledge.memory_plan import plan_report
from tunelint.knowledge.models import catalog, lookup_model, spec_from_hf_config


@pytest.mark.parametrize(
    ("name", "entry"),
    [
        ("bigcode/starcoder2-15b", "starcoder2-15b"),
        ("bigcode/starcoder2-3b", "starcoder2-3b"),
        ("deepseek-ai/DeepSeek-V2.5", "DeepSeek-V2"),
        ("deepseek-ai/DeepSeek-V2-Chat", "DeepSeek-V2"),
        ("/tmp/Llama-3.2-11B-Vision-Instruct/", "Llama-3.2-11B-Vision"),
        ("google/gemma-3n-E2B-it", "gemma-3n-E2B"),
        ("google/gemma-3n-E4B", "gemma-3n-E4B"),
    ],
)
def test_resolves_offline_from_the_catalog(name: str, entry: str) -> None:
    found = lookup_model(name, offline=True)
    assert found.spec is not None, found.reason
    assert found.spec.name == entry


def test_starcoder2_counts_its_biases_and_tied_head() -> None:
    # 30 layers of biased GQA (24 heads, 2 KV heads of 128) and a biased 12288-wide MLP,
    # LayerNorms, a tied 49152-row embedding: 3,030,371,328 (the 3B's published 3.03B).
    spec = lookup_model("bigcode/starcoder2-3b", offline=True).spec
    assert spec is not None
    assert spec.param_count() == 3_030_371_328
    assert spec.estimate_unsupported is None


def test_the_derived_deepseek_v25_upload_is_the_v2_architecture_in_nf4() -> None:
    found = lookup_model("axolotl-quants/DeepSeek-V2.5-bnb-nf4-bf16", offline=True)
    base = lookup_model("deepseek-ai/DeepSeek-V2", offline=True).spec
    assert found.spec is not None and base is not None, found.reason
    assert found.spec.quantization == "bnb-4bit"
    assert found.spec.param_count() == base.param_count()
    assert (base.num_experts, base.experts_per_token, base.q_lora_rank) == (160, 6, 1536)


def test_llama_32_vision_is_counted_but_its_cross_attention_is_not_estimated() -> None:
    spec = lookup_model("/tmp/Llama-3.2-11B-Vision-Instruct/", offline=True).spec
    assert spec is not None
    assert spec.cross_attention_layers == 8 and spec.added_embedding_rows == 8
    assert spec.notes == ()  # every part counted: the vision tower and projector too
    assert "8 cross-attention layers" in (spec.estimate_unsupported or "")


def test_a_plan_on_an_unestimated_model_reports_the_reason_not_a_number() -> None:
    plan = Plan.model_validate({"model": {"name": "google/gemma-3n-E2B-it", "max_seq_len": 1024}})
    report = plan_report(plan)
    assert report.estimate is None
    assert report.model is not None and report.model.name == "gemma-3n-E2B"
    assert "known but not estimated" in (report.reason or "")
    assert "MobileNetV5" in (report.reason or "")


def test_only_gemma3n_is_left_uncounted() -> None:
    uncounted = {t for t, arch in model_config.architectures().items() if arch.get("uncounted")}
    assert uncounted == {"gemma3n_text"}
    flagged = [s.name for s in catalog() if s.uncounted]
    assert flagged == ["gemma-3n-E2B", "gemma-3n-E4B"]


def test_a_gemma3n_config_json_with_per_layer_widths_resolves() -> None:
    # Gemma 3n's config.json may list one MLP width per layer; the widest is read.
    config = {
        "model_type": "gemma3n",
        "text_config": {
            "model_type": "gemma3n_text",
            "hidden_size": 64,
            "intermediate_size": [128, 128, 96],
            "num_hidden_layers": 3,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "vocab_size": 1000,
        },
    }
    spec = spec_from_hf_config(config, "local/gemma3n", "config.json")
    assert not isinstance(spec, str), spec
    assert spec.intermediate_size == 128
    assert spec.estimate_unsupported is not None
    assert "known but not estimated" in spec.estimate_unsupported
