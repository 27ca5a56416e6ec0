"""Each estimator component against hand-computed values."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tunelint.config.plan import Plan
from tunelint.knowledge.memory import (
    ALLOCATOR_OVERHEAD,
    CUDA_CONTEXT_GIB,
    GIB,
    MemoryScenario,
    estimate_memory,
    layer_activations,
    weight_bytes,
)
from tunelint.knowledge.memory_peft import adapter_plan, lora_params
from tunelint.knowledge.memory_plan import (
    estimate_peak_memory,
    largest_micro_batch,
    longest_sequence,
    plan_report,
    scenario_from_plan,
    what_ifs,
)
from tunelint.knowledge.models import resolve_model

LLAMA_3B = resolve_model("meta-llama/Llama-3.2-3B")
LLAMA_8B = resolve_model("meta-llama/Llama-3.1-8B")
QWEN_7B = resolve_model("Qwen/Qwen2.5-7B")
assert LLAMA_3B and LLAMA_8B and QWEN_7B


# --- trainable parameters --------------------------------------------------------------------
def test_lora_params_llama_3b_qv() -> None:
    # Per layer q: 32*(3072+3072), v: 32*(3072+1024); 28 layers.
    assert lora_params(LLAMA_3B, 32, ("q_proj", "v_proj")) == 9_175_040
    assert lora_params(LLAMA_3B, 64, ("q_proj", "v_proj")) == 18_350_080


def test_lora_all_linear_and_defaults() -> None:
    h, i, kv = 3072, 8192, 1024
    per_layer = 16 * ((h + h) + (h + kv) * 2 + (h + h) + 2 * (h + i) + (i + h))
    assert lora_params(LLAMA_3B, 16, "all-linear") == 28 * per_layer
    # PEFT's default LoRA targets for llama are q_proj and v_proj.
    assert lora_params(LLAMA_3B, 32, None) == 9_175_040


def test_dora_adds_magnitude_vectors() -> None:
    dora = adapter_plan(LLAMA_3B, "dora", r=32, targets=("q_proj", "v_proj"))
    assert dora.trainable_params == 9_175_040 + 28 * (3072 + 1024) == 9_289_728


def test_ia3_default_and_feedforward() -> None:
    # k_proj (1024 out), v_proj (1024 out), down_proj (feed-forward: 8192 in) per layer.
    assert adapter_plan(LLAMA_3B, "ia3", targets=None).trainable_params == 286_720
    every = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
    ff = ("down_proj", "gate_proj", "up_proj")
    assert adapter_plan(LLAMA_3B, "ia3", targets=every, feedforward=ff).trainable_params == 630_784


def test_prefix_and_prompt_tuning() -> None:
    # Prefix: tokens x layers x (key + value) x kv width; prompt: tokens x hidden.
    assert adapter_plan(LLAMA_3B, "prefix-tuning", num_virtual_tokens=200).trainable_params == (
        200 * 28 * 2 * 1024
    )
    assert adapter_plan(LLAMA_3B, "prompt-tuning", num_virtual_tokens=200).trainable_params == (
        200 * 3072
    )


def test_full_and_unknown_targets() -> None:
    assert adapter_plan(LLAMA_3B, "full").trainable_params == LLAMA_3B.param_count()
    plan = adapter_plan(LLAMA_3B, "lora", r=8, targets=("c_attn",))
    assert plan.trainable_params == 0
    assert any("not in" in n for n in plan.notes)


def test_moe_all_linear_skips_fused_experts() -> None:
    mixtral = resolve_model("mixtral")
    assert mixtral is not None
    plan = adapter_plan(mixtral, "lora", r=16, targets="all-linear")
    assert {m.name.rsplit(".", 1)[1] for m in plan.targeted} == {
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
    }


# --- weights -------------------------------------------------------------------------------------
def test_weights_by_dtype() -> None:
    n = 8_030_261_248
    assert weight_bytes(LLAMA_8B, "bf16") == 2 * n
    assert weight_bytes(LLAMA_8B, "fp32") == 4 * n


def test_nf4_weights_with_and_without_double_quant() -> None:
    linear = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)
    rest = 8_030_261_248 - linear  # embeddings, lm_head, norms stay bf16
    dq = linear * (0.5 + 1 / 64 + 4 / (64 * 256))
    assert weight_bytes(LLAMA_8B, "bf16", "nf4", True) == int(rest * 2 + dq)
    single = linear * (0.5 + 4 / 64)
    assert weight_bytes(LLAMA_8B, "bf16", "nf4", False) == int(rest * 2 + single)


def test_int8_weights_keep_row_scales() -> None:
    linear = 32 * (2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336)
    rest = 8_030_261_248 - linear
    scales = 32 * 4 * (4096 + 1024 + 1024 + 4096 + 14336 + 14336 + 4096)
    assert weight_bytes(LLAMA_8B, "bf16", "int8") == rest * 2 + linear + scales


# --- optimizer states, gradients --------------------------------------------------------------
def _scn(**kw: object) -> MemoryScenario:
    base = MemoryScenario(model=LLAMA_3B, seq_len=512, include_cuda_context=False)
    return replace(base, **kw)  # type: ignore[arg-type]


def test_adamw_states_and_foreach_buffer() -> None:
    est = estimate_memory(_scn(peft="lora", lora_r=32, target_modules=("q_proj", "v_proj")))
    n = 9_175_040
    assert est.component("optimizer_states") == 2 * 4 * n  # fp32 adapters: 2 fp32 states
    assert est.component("adapter_weights") == 4 * n


def test_full_finetune_bf16_states() -> None:
    est = estimate_memory(_scn(peft="full", optimizer="adamw_torch_fused"))
    n = LLAMA_3B.param_count()
    assert est.component("optimizer_states") == 2 * 2 * n  # pure bf16: states in bf16
    assert est.phases["optimizer_step"] == 2 * n + 2 * n + 4 * n  # weights, grads, states


def test_8bit_adafactor_sgd() -> None:
    n = LLAMA_3B.param_count()
    eight = estimate_memory(_scn(peft="full", optimizer="adamw_8bit"))
    assert eight.component("optimizer_states") == pytest.approx(2 * n * (1 + 4 / 256), rel=1e-9)
    sgd = estimate_memory(_scn(peft="full", optimizer="sgd"))
    assert sgd.component("optimizer_states") == 0
    ada = estimate_memory(
        _scn(peft="lora", lora_r=8, target_modules=("q_proj",), optimizer="adafactor")
    )
    # Factored second moment of A (8 x 3072) and B (3072 x 8), fp32: (rows + cols) values.
    assert ada.component("optimizer_states") == 28 * 2 * (8 + 3072) * 4


def test_small_tensors_keep_32bit_states_in_8bit_adam() -> None:
    ia3 = estimate_memory(_scn(peft="ia3", target_modules=None, optimizer="adamw_8bit"))
    # k/v vectors (1024 values) stay 32-bit; down_proj's (8192 values) are quantized.
    small, large = 28 * 2 * 1024, 28 * 8192
    assert ia3.component("optimizer_states") == 2 * 4 * small + 2 * large * (1 + 4 / 256)


# --- activations and logits ---------------------------------------------------------------------
def test_frozen_layer_activations_hand_computed() -> None:
    scn = _scn(peft="other", trainable_params=1, micro_batch_size=1, padded_batch=False)
    layer = layer_activations(scn, adapter_plan(LLAMA_3B, "other", trainable_params=1), 512)
    h, i, q, kv, heads = 3072, 8192, 3072, 1024, 24
    # fp32 inputs of 2 RMSNorms; sdpa q, k, v, output and logsumexp; SiLU in/out and up.
    assert layer.saved == 2 * 4 * h + (2 * q + 2 * 2 * kv) + (2 * q + 4 * heads) + 3 * 2 * i


def test_padding_mask_repeats_kv() -> None:
    plan = adapter_plan(LLAMA_3B, "other", trainable_params=1)
    packed = layer_activations(
        _scn(peft="other", trainable_params=1, padded_batch=False), plan, 512
    )
    padded = layer_activations(_scn(peft="other", trainable_params=1, padded_batch=True), plan, 512)
    assert padded.saved - packed.saved == 2 * 2 * (3072 - 1024)


def test_lora_saves_fp32_inputs() -> None:
    frozen = layer_activations(
        _scn(peft="other", trainable_params=1),
        adapter_plan(LLAMA_3B, "other", trainable_params=1),
        512,
    )
    scn = _scn(peft="lora", lora_r=32, target_modules=("q_proj", "v_proj"))
    lora = layer_activations(
        scn, adapter_plan(LLAMA_3B, "lora", r=32, targets=("q_proj", "v_proj")), 512
    )
    assert lora.saved - frozen.saved == 2 * (4 * 3072 + 4 * 32)
    drop = replace(scn, lora_dropout=0.1)
    with_drop = layer_activations(
        drop, adapter_plan(LLAMA_3B, "lora", r=32, targets=("q_proj", "v_proj")), 512
    )
    assert with_drop.saved - lora.saved == 2 * 3072  # one-byte dropout masks


def test_logits_spike() -> None:
    est = estimate_memory(_scn(peft="lora", micro_batch_size=2, seq_len=1024))
    # fp32 log-probs, their gradient and the input gradient: 12 B per logit.
    assert est.component("logits") == 2 * 1024 * 128_256 * 12
    held = estimate_memory(_scn(peft="lora", micro_batch_size=2, seq_len=1024, logits_held=True))
    assert held.component("logits") == 2 * 1024 * 128_256 * 14


def test_gradient_checkpointing_keeps_one_hidden_state_per_layer() -> None:
    off = estimate_memory(_scn(peft="lora", micro_batch_size=4, seq_len=2048))
    on = estimate_memory(
        _scn(peft="lora", micro_batch_size=4, seq_len=2048, gradient_checkpointing=True)
    )
    tokens = 4 * 2048
    assert on.component("activations") < off.component("activations") / 10
    assert on.component("activations") >= tokens * 28 * 2 * 3072


def test_eager_attention_grows_with_the_square() -> None:
    sdpa = estimate_memory(_scn(peft="lora", seq_len=4096))
    eager = estimate_memory(_scn(peft="lora", seq_len=4096, attention="eager"))
    # fp32 softmax + bf16 probabilities: 6 B per head per key per query, in every layer.
    extra = eager.component("activations") - sdpa.component("activations")
    assert extra >= 28 * 4096 * 24 * 4096 * 6


# --- trainer extras ----------------------------------------------------------------------------------
def test_dpo_pairs_and_reference() -> None:
    sft = estimate_memory(_scn(peft="lora"))
    dpo = estimate_memory(_scn(peft="lora", method="dpo"))
    assert dpo.component("logits") == 2 * sft.component("logits")
    assert dpo.component("reference_model") == 0  # PEFT: adapters disabled
    full = estimate_memory(_scn(peft="full", method="dpo"))
    assert full.component("reference_model") == 2 * LLAMA_3B.param_count()
    pre = estimate_memory(_scn(peft="full", method="dpo", precompute_ref_log_probs=True))
    assert pre.component("reference_model") == 0


def test_grpo_generation_and_reward_model() -> None:
    grpo = estimate_memory(
        _scn(
            peft="lora",
            method="grpo",
            micro_batch_size=2,
            gradient_accumulation_steps=4,
            reward_model=LLAMA_3B,
        )
    )
    kv = 2 * 4 * 512 * 28 * 2 * 1024 * 2  # 8 sequences x 512 tokens, k and v, bf16
    assert grpo.phases["generation"] >= kv
    assert grpo.component("reference_model") == 0  # TRL's default beta = 0
    assert any("beta=0" in a for a in grpo.assumptions)


def test_ppo_has_value_and_reward_models() -> None:
    ppo = estimate_memory(_scn(peft="lora", method="ppo"))
    assert ppo.component("reward_model") > 0 and ppo.component("value_model") > 0


# --- distribution --------------------------------------------------------------------------------
def test_zero3_shards_everything() -> None:
    n = LLAMA_3B.param_count()
    one = estimate_memory(_scn(peft="full"))
    z3 = estimate_memory(_scn(peft="full", gpu_count=8, distributed="deepspeed-zero3"))
    assert z3.component("weights") == pytest.approx(2 * n / 8, rel=1e-6)
    assert z3.component("optimizer_states") == pytest.approx(8 * n / 8, rel=1e-6)  # fp32 Adam
    assert z3.component("master_weights") == pytest.approx(4 * n / 8, rel=1e-6)
    assert z3.per_gpu_bytes < one.per_gpu_bytes


def test_zero2_keeps_params_and_cpu_offload_moves_states() -> None:
    z2 = estimate_memory(_scn(peft="full", gpu_count=4, distributed="deepspeed-zero2"))
    assert z2.component("weights") == 2 * LLAMA_3B.param_count()
    off = estimate_memory(
        _scn(peft="full", gpu_count=4, distributed="deepspeed-zero2", cpu_offload=True)
    )
    assert off.component("optimizer_states") == 0 and off.component("master_weights") == 0


def test_ddp_replicas_add_buckets() -> None:
    ddp = estimate_memory(_scn(peft="full", gpu_count=2, distributed="ddp"))
    assert ddp.component("distributed_buffers") == 2 * LLAMA_3B.param_count()
    implicit = estimate_memory(_scn(peft="full", gpu_count=2))
    assert any("DDP" in a for a in implicit.assumptions)


# --- context, overhead, totals --------------------------------------------------------------------
def test_total_is_peak_phase_plus_overhead_and_context() -> None:
    est = estimate_memory(replace(_scn(peft="lora"), include_cuda_context=True))
    allocated = est.phases[est.peak_phase]
    expected = allocated * (1 + ALLOCATOR_OVERHEAD) + CUDA_CONTEXT_GIB * GIB
    assert est.per_gpu_bytes == pytest.approx(expected, abs=2)
    assert est.per_gpu_gib == est.per_gpu_bytes / GIB
    assert sum(c.bytes for c in est.components) == pytest.approx(est.per_gpu_bytes, abs=32)


def test_json_has_the_contract_keys() -> None:
    data = estimate_memory(_scn(peft="lora")).to_json()
    assert {"per_gpu_gib", "components", "assumptions", "peak_phase"} <= set(data)


# --- Plan -> scenario ------------------------------------------------------------------------------
def _plan(**sections: object) -> Plan:
    data = {"model": {"name": "Qwen/Qwen2.5-7B", "max_seq_len": 1024}}
    data.update(sections)  # type: ignore[arg-type]
    return Plan.model_validate(data)


def test_plan_mapping() -> None:
    scn = scenario_from_plan(_plan(peft={"kind": "qlora"}, precision="bf16"), QWEN_7B)
    assert scn.quantization == "nf4" and scn.adapter_dtype == "bf16" and scn.peft == "lora"
    fp16_full = scenario_from_plan(_plan(peft={"kind": "full"}, precision="fp16"), QWEN_7B)
    assert fp16_full.weight_dtype == "fp32" and fp16_full.autocast
    adapters = scenario_from_plan(
        _plan(peft={"kind": "adapters", "task_names": ["a", "b", "c"]}), QWEN_7B
    )
    assert adapters.adapter_count == 3
    packed = scenario_from_plan(
        _plan(training={"sample_packing": True, "micro_batch_size": 4}), QWEN_7B
    )
    assert packed.padded_batch is False


def test_estimate_peak_memory_and_report() -> None:
    plan = _plan(peft={"kind": "lora"}, training={"gradient_checkpointing": True})
    est = estimate_peak_memory(plan, QWEN_7B, gpu_count=1)
    assert 14 < est.per_gpu_gib < 24
    report = plan_report(plan)
    assert report.estimate is not None and report.fits is None  # no GPU, no verdict
    missing = plan_report(_plan(model={"name": "acme/unknown"}))
    assert missing.estimate is None and "catalog" in (missing.reason or "")


def test_what_ifs_and_searches() -> None:
    plan = _plan(training={"micro_batch_size": 4})
    scn = scenario_from_plan(plan, QWEN_7B)
    ifs = {w.label: w for w in what_ifs(plan, scn, 24.0)}
    gc = ifs["with gradient checkpointing"]
    assert gc.per_gpu_gib < estimate_memory(scn).per_gpu_gib
    assert any("QLoRA" in label for label in ifs)
    best = largest_micro_batch(replace(scn, gradient_checkpointing=True), 80.0)
    assert best is not None and best >= 1
    fits = estimate_memory(replace(scn, gradient_checkpointing=True, micro_batch_size=best))
    too_big = estimate_memory(replace(scn, gradient_checkpointing=True, micro_batch_size=best + 1))
    assert fits.per_gpu_gib <= 80.0 < too_big.per_gpu_gib
    seq = longest_sequence(replace(scn, micro_batch_size=1), 24.0)
    assert seq is not None and seq % 128 == 0
    assert largest_micro_batch(scn, 4.0) is None


def test_report_summary_and_markdown() -> None:
    from tunelint.knowledge.gpus import resolve_gpu

    plan = _plan(training={"micro_batch_size": 8})
    report = plan_report(plan, resolve_gpu("A10G"))
    assert report.fits is False
    assert "on A10G (24 GiB)" in report.summary() and "GiB over" in report.summary()
    assert "| activations |" in report.markdown()
    skipped = plan_report(_plan(model={"name": "acme/unknown"}))
    assert skipped.summary().startswith("memory estimate skipped:")


def test_reward_model_has_no_vocabulary_logits() -> None:
    reward = estimate_memory(_scn(peft="lora", method="reward", micro_batch_size=2))
    assert reward.component("logits") == 0
    assert reward.total_params == LLAMA_3B.param_count() + 3072  # score head, tied embedding
