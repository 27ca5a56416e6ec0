"""The catalog's families: counts agree with the model cards, names people write resolve,
and config.json facts (MoE, MLA, multimodal wrappers, pre-quantized checkpoints) are read."""

from __future__ import annotations

import json
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from tunelint.knowledge.model_config import quantization_bits, siglip_vision_params
from tunelint.knowledge.models import (
    catalog,
    lookup_model,
    published_params,
    resolve_model,
    spec_from_hf_config,
)

_UNITS = {"B": Decimal(10) ** 9, "M": Decimal(10) ** 6}


def _matches_card(count: int, card: str) -> bool:
    """The count rounds, or truncates, to the card's figure at the card's precision."""
    unit = _UNITS[card[-1]]
    figure = Decimal(card[:-1])
    step = Decimal(1).scaleb(figure.as_tuple().exponent)  # "8.2" -> 0.1
    value = Decimal(count) / unit
    return figure in (
        value.quantize(step, rounding=ROUND_HALF_UP),
        value.quantize(step, rounding=ROUND_DOWN),
    )


WITH_CARD = [s for s in catalog() if published_params(s)[0]]


def test_many_entries_carry_a_card_figure() -> None:
    assert len(WITH_CARD) >= 40


@pytest.mark.parametrize("spec", WITH_CARD, ids=lambda s: s.name)
def test_total_matches_the_model_card(spec) -> None:
    total, _ = published_params(spec)
    assert total is not None and _matches_card(spec.param_count(), total), spec.param_count()


@pytest.mark.parametrize(
    "spec", [s for s in WITH_CARD if published_params(s)[1]], ids=lambda s: s.name
)
def test_active_matches_the_model_card(spec) -> None:
    _, active = published_params(spec)
    assert active is not None and spec.is_moe
    # Vendors differ on whether the input embedding counts as "active" (OpenAI and DeepSeek
    # leave it out, Qwen and Mistral count it): either reading must match.
    readings = (spec.active_param_count(), spec.active_param_count() - spec.embedding_params)
    assert any(_matches_card(n, active) for n in readings), readings


def test_card_figure_check_can_fail() -> None:
    assert _matches_card(8_190_735_360, "8.2B")
    assert not _matches_card(8_190_735_360, "8.3B")
    assert not _matches_card(134_515_008, "140M")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Qwen/Qwen3-8B", "Qwen3-8B"),
        ("qwen/qwen3-30b-a3b-instruct-2507", "Qwen3-30B-A3B"),
        ("Qwen/Qwen3-235B-A22B", "Qwen3-235B-A22B"),
        ("Qwen/Qwen2.5-Coder-7B-Instruct", "Qwen2.5-Coder-7B"),
        ("unsloth/Qwen2.5-Coder-32B-Instruct-bnb-4bit", "Qwen2.5-Coder-32B"),
        ("meta-llama/Llama-2-7b-hf", "Llama-2-7B"),
        ("meta-llama/Llama-2-13b-chat-hf", "Llama-2-13B"),
        ("NousResearch/Llama-2-70b-hf", "Llama-2-70B"),
        ("meta-llama/Llama-3.3-70B-Instruct", "Llama-3.1-70B"),
        ("mistralai/Mixtral-8x22B-v0.1", "Mixtral-8x22B-v0.1"),
        ("mistralai/Mistral-Small-24B-Instruct-2501", "Mistral-Small-24B"),
        ("mistralai/Mistral-Nemo-Instruct-2407", "Mistral-Nemo-12B"),
        ("google/gemma-2b", "Gemma-2B"),
        ("google/gemma-3-1b-it", "Gemma-3-1B"),
        ("google/gemma-3-27b-it", "Gemma-3-27B"),
        ("microsoft/phi-2", "Phi-2"),
        ("microsoft/Phi-3.5-mini-instruct", "Phi-3.5-mini-instruct"),
        ("microsoft/phi-4", "Phi-4"),
        ("TinyLlama/TinyLlama-1.1B-Chat-v1.0", "TinyLlama-1.1B"),
        ("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M"),
        ("HuggingFaceTB/SmolLM3-3B", "SmolLM3-3B"),
        ("openai/gpt-oss-20b", "gpt-oss-20b"),
        ("unsloth/gpt-oss-120b", "gpt-oss-120b"),
        ("deepseek-ai/DeepSeek-V2-Lite-Chat", "DeepSeek-V2-Lite"),
        ("allenai/OLMo-2-1124-7B-Instruct", "OLMo-2-7B"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B", "DeepSeek-R1-Distill-Qwen-1.5B"),
        ("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", "Qwen2.5-7B"),
        ("deepseek-ai/DeepSeek-R1-Distill-Llama-8B", "Llama-3.1-8B"),
        ("Qwen/Qwen2-1.5B-Instruct", "Qwen2.5-1.5B"),
        # torchtune names the model by its builder function
        ("torchtune.models.qwen2_5.qwen2_5_3b", "Qwen2.5-3B"),
        ("torchtune.models.qwen2_5.qwen2_5_0_5b", "Qwen2.5-0.5B"),
        ("torchtune.models.llama3_1.lora_llama3_1_8b", "Llama-3.1-8B"),
        ("torchtune.models.llama3_2.qlora_llama3_2_1b", "Llama-3.2-1B"),
        ("torchtune.models.gemma.gemma_7b", "Gemma-7B"),
    ],
)
def test_family_names_resolve(name: str, expected: str) -> None:
    spec = resolve_model(name)
    assert spec is not None and spec.name == expected


def test_torchtune_builder_of_an_unknown_model_stays_unresolved() -> None:
    assert resolve_model("torchtune.models.clip.clip_vision_encoder") is None


def test_moe_and_mla_facts() -> None:
    qwen = resolve_model("Qwen/Qwen3-30B-A3B")
    assert qwen is not None and qwen.num_experts == 128 and qwen.expert_intermediate_size == 768
    deepseek = resolve_model("deepseek-ai/DeepSeek-V2-Lite")
    assert deepseek is not None and deepseek.layout == "mla" and deepseek.dense_layers == 1
    names = {m.name for m in deepseek.layer_modules()}
    assert {
        "self_attn.kv_a_proj_with_mqa",
        "self_attn.kv_b_proj",
        "mlp.shared_experts.up_proj",
    } <= names
    assert "self_attn.q_a_proj" not in names and "self_attn.q_proj" in names
    moe_layers = {m.layer_count(deepseek.num_layers) for m in deepseek.layer_modules()}
    assert moe_layers == {27, 26, 1}
    oss = resolve_model("openai/gpt-oss-20b")
    assert oss is not None and oss.quantization == "mxfp4" and oss.quant_bits == 4.25
    assert oss.attention_sinks and oss.expert_bias and oss.router_bias


def test_gemma3_vision_tower_is_counted() -> None:
    gemma = resolve_model("google/gemma-3-4b-it")
    assert gemma is not None
    vision = {
        "model_type": "siglip_vision_model",
        "hidden_size": 1152,
        "intermediate_size": 4304,
        "num_hidden_layers": 27,
        "image_size": 896,
        "patch_size": 14,
        "vision_use_head": False,
    }
    assert gemma.extra_params == siglip_vision_params(vision, 2560)
    assert 0.4e9 < gemma.extra_params < 0.45e9  # SigLIP-So400m plus the projector


@pytest.mark.parametrize(
    ("qc", "method", "bits"),
    [
        ({"quant_method": "bitsandbytes", "load_in_4bit": True}, "bnb-4bit", 4.5),
        (
            {
                "quant_method": "bitsandbytes",
                "load_in_4bit": True,
                "bnb_4bit_use_double_quant": True,
            },
            "bnb-4bit",
            4 + 8 / 64 + 32 / (64 * 256),
        ),
        ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "bnb-8bit", 8.0),
        ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "gptq", 4 + 20 / 128),
        ({"quant_method": "awq", "bits": 4, "group_size": 64}, "awq", 4 + 20 / 64),
        ({"quant_method": "gptq", "bits": 8, "group_size": -1}, "gptq", 8.0),
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "fp8", 8 + 32 / 16384),
        ({"quant_method": "fp8"}, "fp8", 8.0),
        ({"quant_method": "mxfp4"}, "mxfp4", 4.25),
    ],
)
def test_quantization_config(qc: dict, method: str, bits: float) -> None:
    assert quantization_bits(qc) == (method, pytest.approx(bits))


def test_prequantized_upload_read_from_disk(tmp_path: Path) -> None:
    config = {
        "model_type": "llama",
        "hidden_size": 2048,
        "intermediate_size": 5632,
        "num_hidden_layers": 22,
        "num_attention_heads": 32,
        "num_key_value_heads": 4,
        "vocab_size": 32000,
        "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128},
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    lookup = lookup_model(str(tmp_path))
    assert lookup.spec is not None and lookup.spec.quantization == "awq"
    assert lookup.spec.param_count() == resolve_model("TinyLlama/TinyLlama-1.1B").param_count()


def test_unknown_quantization_is_noted_not_fatal() -> None:
    config = {
        "model_type": "qwen2",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 100,
        "quantization_config": {"quant_method": "hqq"},
    }
    spec = spec_from_hf_config(config, "x/y", "test")
    assert not isinstance(spec, str) and spec.quantization is None
    assert any("hqq" in note for note in spec.notes)


def test_wrapper_without_text_model_type_and_case_insensitive_id() -> None:
    config = {
        "model_type": "gemma3",
        "text_config": {"hidden_size": 1152, "intermediate_size": 6912, "num_hidden_layers": 26},
    }
    spec = spec_from_hf_config(config, "someone/gemma3-variant", "test")
    assert not isinstance(spec, str)
    assert spec.model_type == "gemma3_text" and spec.vocab_size == 262208  # config default
    assert resolve_model("QWEN/QWEN3-8B") is resolve_model("Qwen/Qwen3-8B")


def test_peft_defaults_follow_the_loaded_model_type() -> None:
    from tunelint.knowledge.models import ia3_default_targets, lora_default_targets

    phi2 = resolve_model("microsoft/phi-2")
    assert phi2 is not None and lora_default_targets(phi2) == ("q_proj", "v_proj", "fc1", "fc2")
    assert ia3_default_targets(phi2) == (("q_proj", "v_proj", "fc2"), ("fc2",))
    text_only = resolve_model("google/gemma-3-1b-it")
    assert text_only is not None and lora_default_targets(text_only) == ("q_proj", "v_proj")
    # Gemma3ForConditionalGeneration is model_type "gemma3": PEFT 0.21.2 has no default for it
    wrapper = resolve_model("google/gemma-3-4b-it")
    assert wrapper is not None and wrapper.wrapper_model_type == "gemma3"
    assert lora_default_targets(wrapper) is None
    llama = resolve_model("meta-llama/Llama-3.1-8B")
    assert llama is not None and llama.wrapper_model_type is None


def test_prequantized_weight_bytes() -> None:
    oss = resolve_model("openai/gpt-oss-20b")
    assert oss is not None
    experts = sum(
        m.weight_params * m.layer_count(oss.num_layers)
        for m in oss.layer_modules()
        if m.kind == "expert"
    )
    assert oss.quantized_params() == experts  # MXFP4 covers the expert tensors only
    expected = experts * 4.25 / 8 + (oss.param_count() - experts) * 2
    assert oss.checkpoint_weight_bytes() == expected
    assert 12e9 < oss.checkpoint_weight_bytes() < 14e9  # the ~13 GB gpt-oss-20b download
    plain = resolve_model("meta-llama/Llama-3.1-8B")
    assert plain is not None and plain.quantized_params() == 0
    assert plain.checkpoint_weight_bytes() == plain.param_count() * 2
    config = {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "vocab_size": 100,
        "quantization_config": {"quant_method": "gptq", "bits": 4, "group_size": 32},
    }
    gptq = spec_from_hf_config(config, "x/y", "test")
    assert not isinstance(gptq, str)
    linear = 2 * (4 * 64 * 64 + 3 * 64 * 128)
    assert gptq.quantized_params() == linear
    assert (
        gptq.checkpoint_weight_bytes()
        == linear * (4 + 20 / 32) / 8 + (gptq.param_count() - linear) * 2
    )
