"""Architectures read from config.json since 2026-11-30, without the ML stack: module names
PEFT and the estimator see, pre-quantized storage (AQLM, BitNet), and Mamba's estimate skipped
with its reason (no transformer activation formula applies to a selective scan)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tunelint.knowledge.memory_activations import _input_group
from tunelint.knowledge.model_config import aqlm_matrix_bits, quantization_bits
from tunelint.knowledge.models import ModelSpec, lookup_model, spec_from_hf_config

_LLAMA = {
    "model_type": "llama",
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "vocab_size": 1000,
}


def _spec(config: dict[str, Any]) -> ModelSpec:
    spec = spec_from_hf_config(config, "acme/model", "config.json")
    assert isinstance(spec, ModelSpec), spec
    return spec


def test_gpt2_modules_are_conv1d_names_with_their_inputs() -> None:
    spec = lookup_model("gpt2").spec
    assert spec is not None and spec.layout == "gpt2"
    names = [m.name for m in spec.layer_modules()]
    assert names == ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"]
    groups = {m.name: _input_group(m) for m in spec.layer_modules()}
    assert groups == {
        "attn.c_attn": "attn_in",
        "attn.c_proj": "o_in",
        "mlp.c_fc": "mlp_in",
        "mlp.c_proj": "down_in",
    }
    assert spec.position_embeddings == 1024 and spec.tie_word_embeddings
    assert spec.param_count() == 124_439_808  # GPT2LMHeadModel.num_parameters()


def test_starcoder2_plain_mlp_and_use_bias() -> None:
    config = {**_LLAMA, "model_type": "starcoder2"}
    spec = _spec(config)
    assert [m.name for m in spec.layer_modules()][-2:] == ["mlp.c_fc", "mlp.c_proj"]
    assert all(m.bias for m in spec.layer_modules())
    unbiased = _spec({**config, "use_bias": False})
    assert not any(m.bias for m in unbiased.layer_modules())
    assert spec.param_count() > unbiased.param_count()


def test_llama4_names_its_feed_forward_router_and_shared_expert() -> None:
    spec = lookup_model("meta-llama/Llama-4-Scout-17B-16E-Instruct").spec
    assert spec is not None and spec.num_experts == 16 and spec.dense_layers == 0
    names = {m.name for m in spec.layer_modules()}
    assert {
        "feed_forward.router",
        "feed_forward.experts.gate_up_proj",
        "feed_forward.shared_expert.down_proj",
    } <= names
    assert spec.extra_params > 0 and spec.notes == ()  # the vision tower is counted


def test_llama4_interleaved_layers_keep_a_dense_mlp() -> None:
    text = {
        **_LLAMA,
        "model_type": "llama4_text",
        "num_hidden_layers": 4,
        "intermediate_size": 32,
        "intermediate_size_mlp": 96,
        "num_local_experts": 4,
        "num_experts_per_tok": 1,
    }
    every_other = _spec({**text, "interleave_moe_layer_step": 2})
    assert every_other.dense_layers == 2 and every_other.intermediate_size == 96
    assert _spec({**text, "moe_layers": [3]}).dense_layers == 3


def test_mamba_counts_its_mixer_and_skips_the_estimate(tmp_path: Path) -> None:
    spec = lookup_model("state-spaces/mamba-2.8b").spec
    assert spec is not None and spec.layout == "mamba"
    assert [m.name for m in spec.layer_modules()] == [
        "mixer.in_proj",
        "mixer.x_proj",
        "mixer.dt_proj",
        "mixer.out_proj",
    ]
    assert spec.ssm_dt_rank == 160 and spec.intermediate_size == 5120  # ceil(2560 / 16), 2 x
    assert "state-space" in (spec.estimate_unsupported or "")
    assert lookup_model("gpt2").spec.estimate_unsupported is None  # type: ignore[union-attr]
    (tmp_path / "cfg.tune.yaml").write_text(
        "model:\n  name: state-spaces/mamba-2.8b\n  max_seq_len: 1024\n"
        "peft:\n  kind: lora\nprecision: bf16\nhardware:\n  gpu: A10G\n"
    )
    out = subprocess.run(
        [sys.executable, "-m", "tunelint.cli", "estimate", "cfg.tune.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2, out.stdout + out.stderr
    assert "cannot estimate" in out.stderr and "selective scan" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(
    ("config", "bits"),
    [
        ({"num_codebooks": 1, "nbits_per_codebook": 16, "in_group_size": 8}, 2.0),
        ({"num_codebooks": 2, "nbits_per_codebook": 8, "in_group_size": 8}, 2.0),
        ({"num_codebooks": 2, "nbits_per_codebook": 16, "in_group_size": 8}, 4.0),
        (
            {"num_codebooks": 1, "nbits_per_codebook": 16, "in_group_size": 1, "out_group_size": 8},
            2.0,
        ),
    ],
)
def test_aqlm_code_bits(config: dict[str, int], bits: float) -> None:
    assert quantization_bits({"quant_method": "aqlm", **config}) == ("aqlm", bits)


def test_aqlm_checkpoint_adds_each_matrix_codebooks_and_scales() -> None:
    qc = {"quant_method": "aqlm", "num_codebooks": 1, "nbits_per_codebook": 16, "in_group_size": 8}
    spec = _spec({**_LLAMA, "quantization_config": qc})
    # one fp16 codebook of 2^16 x 8 values and one fp16 scale per output row, per matrix
    dims = [(64, 64), (64, 32), (64, 32), (64, 64), (64, 128), (64, 128), (128, 64)]
    extra = sum(16 * (65536 * 8 + n_out) for _, n_out in dims) * 2  # two layers
    weights = sum(i * o for i, o in dims) * 2
    assert spec.quantized_params() == weights
    assert spec.quant_bits == pytest.approx(2.0 + extra / weights)
    assert aqlm_matrix_bits(qc, 64, 128) == 16 * (65536 * 8 + 128)


def test_bitnet_packed_ternary_and_online_modes() -> None:
    bitnet = {**_LLAMA, "model_type": "bitnet"}
    packed = _spec({**bitnet, "quantization_config": {"quant_method": "bitnet"}})
    assert (packed.quantization, packed.quant_bits) == ("bitnet", 2.0)
    online = _spec(
        {**bitnet, "quantization_config": {"quant_method": "bitnet", "quantization_mode": "online"}}
    )
    assert online.quantization is None and online.notes == ()  # full-precision weights
    assert packed.param_count() == online.param_count() == _spec(bitnet).param_count()
    # attn_sub_norm (hidden) and ffn_sub_norm (intermediate) on top of Llama's norms
    assert _spec(bitnet).param_count() - _spec(_LLAMA).param_count() == 2 * (64 + 128)


def test_llava_over_another_tower_says_it_is_not_counted() -> None:
    spec = _spec(
        {
            "model_type": "llava",
            "text_config": {**_LLAMA},
            "vision_config": {"model_type": "siglip_vision_model", "hidden_size": 32},
        }
    )
    assert spec.extra_params == 0
    assert spec.notes == ("vision tower (siglip_vision_model) not counted",)


def test_init_refuses_to_size_a_model_it_cannot_estimate() -> None:
    from tunelint.init.decide import InitAnswers, InitError, decide

    answers = InitAnswers(goal="new-capability", model="state-spaces/mamba-2.8b", gpu="A100-80GB")
    with pytest.raises(InitError, match="state-space"):
        decide(answers)


def test_qwen35_hybrid_layers_and_gated_query() -> None:
    spec = lookup_model("Qwen/Qwen3.5-35B-A3B").spec
    assert spec is not None and spec.linear_attention_layers == 30
    assert spec.full_attention_layers == 10  # every 4th of 40
    modules = {m.name: m for m in spec.layer_modules()}
    assert modules["self_attn.q_proj"].out_features == 2 * 16 * 256  # query and output gate
    assert modules["self_attn.q_proj"].layers == 10
    assert modules["linear_attn.in_proj_qkv"].out_features == 2 * 16 * 128 + 32 * 128
    assert modules["linear_attn.out_proj"].layers == 30
    assert modules["mlp.shared_expert_gate"].layers == 0  # every layer routes
    assert "Gated DeltaNet" in (spec.estimate_unsupported or "")
