"""Each term of the estimate on its own, against hand-computed values."""

from __future__ import annotations

from dataclasses import replace

from tunelint.knowledge.memory import estimate_memory
from tunelint.knowledge.memory_activations import (
    Activations,
    attention_mask_bytes,
    autocast_weight_cache,
    layer_activations,
    loss_spike,
    stored_activations,
)
from tunelint.knowledge.memory_extra_models import extra_models
from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.memory_phases import Terms, generation_kv_cache, phase_peaks
from tunelint.knowledge.memory_scenario import (
    GIB,
    BatchShape,
    Distribution,
    MemoryScenario,
    Notes,
    batch_shape,
)
from tunelint.knowledge.memory_sharding import (
    communication_buffers,
    hf_auto_zero_value,
    offloads,
    persistent_params,
    shard_states,
    zero_bucket_bytes,
)
from tunelint.knowledge.memory_states import (
    ModelStates,
    model_states,
    optimizer_state_bytes,
    weight_bytes,
)
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
    # Autocast upcasts cross-entropy even where the model code does not.
    assert loss_spike(replace(half, autocast=True), 2048)[0] == 2048 * VOCAB * 12


def test_attention_mask_by_kernel() -> None:
    shape = BatchShape(2, 1024, 1024)
    eager = MemoryScenario(LLAMA_3B, attention="eager")
    assert attention_mask_bytes(eager, shape) == 2 * 1024 * 1024 * 2
    padded_sdpa = MemoryScenario(LLAMA_3B, micro_batch_size=2)
    assert attention_mask_bytes(padded_sdpa, shape) == 2 * 1024 * 1024
    assert attention_mask_bytes(MemoryScenario(LLAMA_3B, attention="flash"), shape) == 0


def test_autocast_weight_cache() -> None:
    assert autocast_weight_cache(MemoryScenario(LLAMA_3B)) == (0.0, 0.0)
    amp = MemoryScenario(LLAMA_3B, peft="full", weight_dtype="fp32", autocast=True)
    # A frozen base is not cached (autocast caches trainable leaves only): LoRA holds the
    # bf16 copies of its fp32 adapters alone (one layer's when checkpointed).
    assert autocast_weight_cache(replace(amp, peft="lora")) == (0.0, 0.0)
    assert autocast_weight_cache(replace(amp, peft="lora"), 28_000) == (56_000.0, 0.0)
    lora_ckpt = replace(amp, peft="lora", gradient_checkpointing=True)
    assert autocast_weight_cache(lora_ckpt, 28_000) == (2_000.0, 0.0)
    assert autocast_weight_cache(replace(amp, peft="lora", adapter_dtype="bf16"), 28_000) == (
        0.0,
        0.0,
    )
    # TRL's fused LM head casts the head's tiles itself: no cached lm_head.
    assert autocast_weight_cache(replace(amp, fused_lm_head=True))[0] == (
        2.0 * LLAMA_3B.layer_linear_params * 28
    )
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
    # torch's optimizer steps FSDP's local shards (flat-parameter shards / DTensor local
    # tensors): its foreach temporaries are one rank's share too.
    assert fsdp.step_buffers == 20.0


def test_cpu_offload_moves_states() -> None:
    scn = MemoryScenario(LLAMA_3B, cpu_offload=True)
    out = shard_states(STATES, scn, Distribution("deepspeed-zero3", 2), Notes())
    assert (out.optimizer_states, out.master_weights, out.step_buffers) == (0.0, 0.0, 0.0)
    # ZeRO-Offload also moves the reduced gradient partitions to CPU for the CPU Adam step.
    assert (out.weights, out.adapter_weights, out.gradients) == (0.0, 0.0, 0.0)


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


# --- memory savers ------------------------------------------------------------------------
def test_chunked_loss_has_no_vocabulary_tensors() -> None:
    scn = MemoryScenario(LLAMA_3B, chunked_loss=True)
    # The input's gradient and one chunk of ~tokens x hidden logits, bf16: 2 x 2 B x 3072.
    assert loss_spike(scn, 2048)[0] == 2048 * 3072 * 4
    full = estimate_memory(MemoryScenario(LLAMA_3B))
    chunked = estimate_memory(scn)
    assert full.component("logits") == 2048 * VOCAB * 12
    assert chunked.component("logits") == 0  # the layer working set is now larger
    saved = full.phases["forward_backward"] - chunked.phases["forward_backward"]
    assert saved == 2048 * VOCAB * 12 - chunked.component("backward_working_set")


def test_optimizer_in_backward_keeps_one_gradient() -> None:
    scn = MemoryScenario(LLAMA_3B, peft="full", optimizer="adamw_torch_fused")
    fused = replace(scn, optimizer_in_backward=True, gradient_accumulation_steps=4)
    states = model_states(
        fused, adapter_plan(LLAMA_3B, "full"), 0, Distribution("none", 1), Notes()
    )
    assert states.gradients == VOCAB * 3072 * 2  # the embedding is the largest tensor
    est = estimate_memory(fused)
    assert est.phases["backward_end"] == est.phases["optimizer_step"]
    assert (
        est.phases["forward_backward"]
        < estimate_memory(replace(scn, gradient_accumulation_steps=4)).phases["forward_backward"]
    )


def test_activation_offloading_keeps_two_layers() -> None:
    shape = BatchShape(1, 1024, 1024)
    scn = MemoryScenario(LLAMA_3B, gradient_checkpointing=True)
    offloaded = replace(scn, activation_offloading=True)
    plan = adapter_plan(LLAMA_3B, "lora")
    full, _, _ = stored_activations(scn, plan, shape)
    off, _, _ = stored_activations(offloaded, plan, shape)
    # Checkpointed: one bf16 hidden state per layer; 28 layers -> 2 on the GPU.
    assert full - off == 1024 * 26 * 2 * 3072


def test_compile_saves_fewer_intermediates() -> None:
    plan = adapter_plan(LLAMA_3B, "lora", targets=("q_proj", "v_proj"))
    eager = layer_activations(MemoryScenario(LLAMA_3B), plan, 1024)
    compiled = layer_activations(MemoryScenario(LLAMA_3B, compile=True), plan, 1024)
    # Two norms: fp32 input (4h) -> bf16 input + fp32 rstd (2h + 4); gated MLP: 3 -> 2 saves.
    assert eager.saved - compiled.saved == 2 * (4 * 3072 - (2 * 3072 + 4)) + 2 * 8192


def test_modules_to_save_copies_in_the_base_dtype() -> None:
    plan = adapter_plan(LLAMA_3B, "lora", targets=("q_proj",), modules_to_save=("lm_head",))
    copy = [t for t in plan.tensors if t.name.endswith(".copy")]
    assert [(t.name, t.numel) for t in copy] == [("lm_head.copy", VOCAB * 3072)]
    scn = MemoryScenario(LLAMA_3B, target_modules=("q_proj",), modules_to_save=("lm_head",))
    states = model_states(scn, plan, plan.trainable_params, Distribution("none", 1), Notes())
    lora = plan.trainable_params - VOCAB * 3072
    # LoRA in fp32, the copy in bf16; AdamW states in each tensor's dtype.
    assert states.adapter_weights == lora * 4 + VOCAB * 3072 * 2
    assert states.gradients == lora * 4 + VOCAB * 3072 * 2
    assert states.optimizer_states == 2 * (lora * 4 + VOCAB * 3072 * 2)
    layer = adapter_plan(LLAMA_3B, "lora", targets=("q_proj",), modules_to_save=("down_proj",))
    assert [(t.name, t.numel) for t in layer.tensors if t.name.endswith(".copy")] == [
        ("mlp.down_proj.copy", 28 * 3072 * 8192)
    ]


def test_eight_bit_and_paged_optimizers() -> None:
    plan = adapter_plan(LLAMA_3B, "full")
    n = LLAMA_3B.param_count()
    eight_bit = [
        optimizer_state_bytes(plan, name, lambda t: 2, LLAMA_3B)[:2]
        for name in ("adamw_8bit", "paged_adamw_8bit")
    ]
    assert eight_bit == [(2 * n * (1 + 4 / 256), 0.0)] * 2
    states, step, _ = optimizer_state_bytes(plan, "paged_adamw_32bit", lambda t: 4, LLAMA_3B)
    assert (states, step) == (8 * n, 0.0)


# --- DeepSpeed as written -------------------------------------------------------------------
def test_hf_auto_values() -> None:
    assert hf_auto_zero_value("reduce_bucket_size", 4096) == 4096 * 4096
    assert hf_auto_zero_value("stage3_prefetch_bucket_size", 4096) == int(0.9 * 4096 * 4096)
    assert hf_auto_zero_value("stage3_param_persistence_threshold", 4096) == 40960
    assert hf_auto_zero_value("allgather_bucket_size", 4096) is None


def test_zero_buckets_as_written() -> None:
    scn = MemoryScenario(
        LLAMA_3B,
        zero_bucket_elements=200_000_000,
        zero_allgather_bucket_elements=100_000_000,
        zero_overlap_comm=True,
    )
    assert zero_bucket_bytes(scn, 2) == 4.5 * 300_000_000 * 2
    assert zero_bucket_bytes(replace(scn, zero_overlap_comm=False), 1) == 300_000_000 * 2
    assert zero_bucket_bytes(scn, 3) == 4.5 * 200_000_000 * 2


def test_zero3_gathered_prefetch_and_persistent() -> None:
    layer = LLAMA_3B.layer_params
    # Two RMSNorm weights of 3072 per layer stay whole; no biases in Llama.
    assert persistent_params(LLAMA_3B, None) == 28 * 2 * 3072
    assert persistent_params(LLAMA_3B, 3000) == 0
    scn = MemoryScenario(
        LLAMA_3B,
        distributed="deepspeed-zero3",
        gpu_count=8,
        zero_bucket_elements=1000,
        zero_overlap_comm=False,
        zero3_prefetch_elements=10_000,
        zero3_persistence_threshold=3000,
    )
    total, _ = communication_buffers(scn, Distribution("deepspeed-zero3", 8), 0, 2, Notes())
    # The largest module gathered whole: Llama-3.2-3B's (tied) 128256 x 3072 embedding,
    # larger than one layer; plus the prefetch bucket and the reduce bucket.
    embedding = 128_256 * 3072
    assert embedding > layer
    assert total == (embedding + 10_000) * 2 + 1000 * 2
    # DeepSpeed's model-state estimators count no buckets: the gathered module only.
    states_only = replace(scn, model_states_only=True)
    total, _ = communication_buffers(states_only, Distribution("deepspeed-zero3", 8), 0, 2, Notes())
    assert total == (embedding + 10_000) * 2


def test_optimizer_and_parameter_offload_separately() -> None:
    dist = Distribution("deepspeed-zero3", 2)
    only_opt = MemoryScenario(LLAMA_3B, offload_optimizer=True)
    assert offloads(only_opt, dist) == (True, False)
    out = shard_states(STATES, only_opt, dist, Notes())
    assert (out.optimizer_states, out.weights) == (0.0, 400.0)
    only_params = MemoryScenario(LLAMA_3B, offload_params=True)
    assert offloads(only_params, dist) == (False, True)
    assert offloads(only_params, Distribution("deepspeed-zero2", 2)) == (False, False)


# --- shared models ---------------------------------------------------------------------------
def test_llamafactory_ppo_shares_the_base() -> None:
    scn = MemoryScenario(LLAMA_3B, method="ppo", value_head_shared=True, reward_adapter=True)
    assert extra_models(scn, STATES, Distribution("none", 1), Notes()) == {}
    separate = replace(scn, value_head_shared=False, reward_adapter=False)
    assert set(extra_models(separate, STATES, Distribution("none", 1), Notes())) == {
        "reward_model",
        "value_model",
    }


def test_vllm_colocated_share() -> None:
    scn = MemoryScenario(LLAMA_3B, method="grpo", vllm_mode="colocate", gpu_memory_gib=80.0)
    assert extra_models(scn, STATES, Distribution("none", 1), Notes()) == {"vllm": 0.3 * 80.0 * GIB}
    assert generation_kv_cache(scn, Notes()) == 0.0
    notes = Notes()
    assert extra_models(
        replace(scn, gpu_memory_gib=None), STATES, Distribution("none", 1), notes
    ) == {"vllm": 0.0}
    assert any("GPU unknown" in n for n in notes.items)


def test_teacher_model_weights() -> None:
    scn = MemoryScenario(LLAMA_3B, teacher_model=LLAMA_3B)
    assert extra_models(scn, STATES, Distribution("none", 1), Notes()) == {
        "teacher_model": float(weight_bytes(LLAMA_3B, "bf16"))
    }


# --- three views -----------------------------------------------------------------------------
def test_three_views_of_one_peak() -> None:
    est = estimate_memory(MemoryScenario(LLAMA_3B))
    assert est.allocated_bytes == est.phases[est.peak_phase]
    assert est.reserved_bytes == int(est.allocated_bytes * 1.05)
    assert est.per_gpu_bytes == int(est.reserved_bytes + 0.75 * GIB)
    assert est.to_json()["views_gib"] == {
        "allocated": round(est.allocated_bytes / GIB, 3),
        "reserved": round(est.reserved_bytes / GIB, 3),
        "nvidia_smi": round(est.per_gpu_bytes / GIB, 3),
    }
