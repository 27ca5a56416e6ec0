"""Each term of the estimate on its own, against hand-computed values."""

from __future__ import annotations

from dataclasses import replace

from tunelint.knowledge.memory_activations import (
    Activations,
    attention_mask_bytes,
    autocast_weight_cache,
    loss_spike,
)
from tunelint.knowledge.memory_extra_models import extra_models
from tunelint.knowledge.memory_phases import Terms, generation_kv_cache, phase_peaks
from tunelint.knowledge.memory_scenario import (
    BatchShape,
    Distribution,
    MemoryScenario,
    Notes,
    batch_shape,
)
from tunelint.knowledge.memory_sharding import communication_buffers, shard_states
from tunelint.knowledge.memory_states import ModelStates, weight_bytes
from tunelint.knowledge.models import resolve_model

LLAMA_3B = resolve_model("meta-llama/Llama-3.2-3B")
assert LLAMA_3B
VOCAB = 128_256

STATES = ModelStates(
    weights=800.0,
    adapter_weights=40.0,
    master_weights=160.0,
    optimizer_states=320.0,
    step_buffers=160.0,
    gradients=80.0,
    trainable_dtype_bytes=2,
    state_dtype_bytes=4,
    optimizer_detail="",
)


def test_batch_shape_pairs_and_virtual_tokens() -> None:
    notes = Notes()
    dpo = batch_shape(
        MemoryScenario(LLAMA_3B, micro_batch_size=3, seq_len=512, method="dpo"), notes
    )
    assert (dpo.sequences, dpo.seq, dpo.seq_kv, dpo.tokens) == (6, 512, 512, 3072)
    prompt = MemoryScenario(LLAMA_3B, seq_len=100, peft="prompt-tuning", num_virtual_tokens=20)
    assert batch_shape(prompt, notes) == BatchShape(1, 120, 120)
    prefix = replace(prompt, peft="prefix-tuning")
    assert batch_shape(prefix, notes) == BatchShape(1, 100, 120)


def test_loss_spike_upcast_and_half() -> None:
    scn = MemoryScenario(LLAMA_3B, weight_dtype="bf16")
    # bf16 logits (2) + fp32 copy (4) + fp32 log-probs gradient (4) vs 3 fp32 tensors: 12 B.
    assert loss_spike(scn, 2048)[0] == 2048 * VOCAB * 12
    half = replace(scn, loss_upcast=False)
    assert loss_spike(half, 2048)[0] == 2048 * VOCAB * 6
    held = replace(scn, logits_held=True)
    assert loss_spike(held, 2048)[0] == 2048 * VOCAB * 14


def test_attention_mask_by_kernel() -> None:
    shape = BatchShape(2, 1024, 1024)
    eager = MemoryScenario(LLAMA_3B, attention="eager")
    assert attention_mask_bytes(eager, shape) == 2 * 1024 * 1024 * 2
    padded_sdpa = MemoryScenario(LLAMA_3B, micro_batch_size=2)
    assert attention_mask_bytes(padded_sdpa, shape) == 2 * 1024 * 1024
    assert attention_mask_bytes(MemoryScenario(LLAMA_3B, attention="flash"), shape) == 0


def test_autocast_weight_cache() -> None:
    assert autocast_weight_cache(MemoryScenario(LLAMA_3B)) == (0.0, 0.0)
    amp = MemoryScenario(LLAMA_3B, weight_dtype="fp32", autocast=True)
    linear = LLAMA_3B.layer_linear_params
    assert autocast_weight_cache(amp) == (
        2.0 * (linear * 28 + LLAMA_3B.lm_head_params),
        0.0,
    )
    ckpt = replace(amp, gradient_checkpointing=True)
    assert autocast_weight_cache(ckpt) == (
        2.0 * (linear + LLAMA_3B.lm_head_params),
        2.0 * linear,
    )


def test_zero2_shards_optimizer_and_gradients() -> None:
    scn = MemoryScenario(LLAMA_3B, distributed="deepspeed-zero2", gpu_count=4)
    out = shard_states(STATES, scn, Distribution("deepspeed-zero2", 4), Notes())
    assert (out.weights, out.adapter_weights) == (800.0, 40.0)
    assert (out.optimizer_states, out.master_weights, out.step_buffers) == (80.0, 40.0, 40.0)
    assert out.gradients == 20.0


def test_zero1_keeps_gradients_fsdp_shards_parameters() -> None:
    zero1 = shard_states(
        STATES, MemoryScenario(LLAMA_3B), Distribution("deepspeed-zero1", 2), Notes()
    )
    assert (zero1.optimizer_states, zero1.gradients) == (160.0, 80.0)
    fsdp = shard_states(STATES, MemoryScenario(LLAMA_3B), Distribution("fsdp", 8), Notes())
    assert (fsdp.weights, fsdp.optimizer_states, fsdp.gradients) == (100.0, 40.0, 10.0)
    assert fsdp.step_buffers == 160.0  # torch's optimizer step is not a DeepSpeed partition


def test_cpu_offload_moves_states() -> None:
    scn = MemoryScenario(LLAMA_3B, cpu_offload=True)
    out = shard_states(STATES, scn, Distribution("deepspeed-zero3", 2), Notes())
    assert (out.optimizer_states, out.master_weights, out.step_buffers) == (0.0, 0.0, 0.0)
    assert (out.weights, out.adapter_weights, out.gradients) == (0.0, 0.0, 40.0)


def test_communication_buffers() -> None:
    notes = Notes()
    zero2 = MemoryScenario(LLAMA_3B, distributed="deepspeed-zero2", gpu_count=2)
    total, _ = communication_buffers(zero2, Distribution("deepspeed-zero2", 2), 0, 2, notes)
    assert total == 2 * 500_000_000 * 2  # allgather + reduce buckets of 5e8 bf16 values
    overlap = replace(zero2, zero_overlap_comm=True, zero_bucket_elements=100)
    total, _ = communication_buffers(overlap, Distribution("deepspeed-zero2", 2), 0, 2, notes)
    assert total == 4.5 * 2 * 100 * 2
    ddp, _ = communication_buffers(MemoryScenario(LLAMA_3B), Distribution("ddp", 2), 1000, 4, notes)
    assert ddp == 4000


def test_reference_model_only_without_peft() -> None:
    dist = Distribution("none", 1)
    full = MemoryScenario(LLAMA_3B, method="dpo", peft="full")
    assert extra_models(full, STATES, dist, Notes()) == {
        "reference_model": float(weight_bytes(LLAMA_3B, "bf16"))
    }
    assert extra_models(replace(full, peft="lora"), STATES, dist, Notes()) == {}
    assert extra_models(replace(full, precompute_ref_log_probs=True), STATES, dist, Notes()) == {}
    assert extra_models(replace(full, method="grpo"), STATES, dist, Notes()) == {}


def test_generation_kv_cache() -> None:
    scn = MemoryScenario(
        LLAMA_3B, method="grpo", micro_batch_size=2, gradient_accumulation_steps=3, seq_len=1000
    )
    # 6 sequences x 1000 tokens x 28 layers x (k + v) x kv_dim 1024 x 2 B.
    assert generation_kv_cache(scn, Notes()) == 6 * 1000 * 28 * 2 * 1024 * 2
    assert generation_kv_cache(replace(scn, method="sft"), Notes()) == 0.0


def test_phase_peaks() -> None:
    acts = Activations(
        stored=1000.0, working=50.0, autocast_cache=0.0, logits=300.0, detail="", logits_detail=""
    )
    terms = Terms(STATES, {"reward_model": 100.0}, acts, 0.0, 10.0, accumulating=False)
    static = 800 + 40 + 160 + 320 + 100
    assert phase_peaks(terms) == {
        "forward_backward": static + 10 + 1000 + 300,
        "backward_end": static + 10 + 80,
        "optimizer_step": static + 80 + 160 + 10,
    }
    held = replace(terms, accumulating=True, kv_cache=5000.0)
    peaks = phase_peaks(held)
    assert peaks["forward_backward"] == static + 10 + 80 + 1000 + 300
    assert peaks["generation"] == static + 5000 + 10
