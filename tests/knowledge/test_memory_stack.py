"""The training stack's upcast of a quantized base (memory_stack.py): the decision per
framework and version, the terms it changes (hand-computed), and the lint path's note."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from tunelint.knowledge.memory import estimate_memory
from tunelint.knowledge.memory_activations import layer_activations, loss_spike
from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.memory_scenario import MemoryScenario, act_bytes
from tunelint.knowledge.memory_stack import kbit_upcast
from tunelint.knowledge.memory_states import weight_bytes
from tunelint.knowledge.models import resolve_model
from tunelint.lint import LintOptions, lint_file

LLAMA_3B = resolve_model("meta-llama/Llama-3.2-3B")
assert LLAMA_3B
VOCAB = 128_256


def test_which_stacks_upcast() -> None:
    # TRL before 0.26 runs PEFT's prepare_model_for_kbit_training (removed by trl PR #4577).
    assert kbit_upcast("trl", "0.19.1", "nf4", sharded=False).upcast
    assert kbit_upcast("trl", "0.25", "int8", sharded=False).upcast
    assert not kbit_upcast("trl", "0.26", "nf4", sharded=False).upcast
    assert not kbit_upcast("trl", "1.0", "nf4", sharded=False).upcast
    # Sharded QLoRA skips it (trl PR #1416); GPTQ bases are never cast by PEFT.
    assert not kbit_upcast("trl", "0.19", "nf4", sharded=True).upcast
    assert not kbit_upcast("trl", "0.19", "gptq-int4", sharded=False).upcast
    assert kbit_upcast("trl", "0.19", "gptq-int4", sharded=False).note is None
    # axolotl casts norms and embeddings back; LLaMA-Factory and torchtune do not upcast.
    for trainer in ("axolotl", "llamafactory", "torchtune"):
        assert not kbit_upcast(trainer, None, "nf4", sharded=False).upcast
    note = kbit_upcast("trl", "0.19", "nf4", sharded=False, version_known=False).note
    assert note is not None and note.startswith("TRL 0.19 (assumed: no exact pin)")
    assert "fp32" in note


def test_upcast_terms_hand_computed() -> None:
    qlora = MemoryScenario(LLAMA_3B, quantization="nf4", adapter_dtype="bf16")
    up = replace(qlora, kbit_upcast=True)
    # Saved activations are fp32 (4 B), not the compute dtype (2 B).
    assert (act_bytes(qlora), act_bytes(up)) == (2, 4)
    # Weights: every non-quantized parameter (embeddings, lm_head, norms) 2 B -> 4 B.
    spec = LLAMA_3B
    quantized = spec.num_layers * sum(m.weight_params for m in spec.layer_modules() if m.is_linear)
    rest = spec.param_count() - quantized
    assert weight_bytes(spec, "fp32", "nf4") - weight_bytes(spec, "bf16", "nf4") == 2 * rest
    est, base = estimate_memory(up), estimate_memory(qlora)
    assert est.component("weights") - base.component("weights") == 2 * rest
    # Loss spike with fp32 logits: max(4 + 2*4, 3*4) = 12 B per value, +4 B when held.
    assert loss_spike(replace(up, logits_held=True), 2048)[0] == 2048 * VOCAB * 16
    assert loss_spike(replace(qlora, logits_held=True), 2048)[0] == 2048 * VOCAB * 14
    # One layer's saves (memory_activations.layer_activations, no adapter targeted): fp32
    # norm inputs 2*4h, q/k/v a*(q + 2kv), sdpa output a*q + fp32 logsumexp 4*nh, gated MLP
    # 3*a*i; h=3072, q=3072, kv=1024, nh=24, i=8192.
    plan = adapter_plan(spec, "lora", r=16, targets=())

    def by_hand(a: int) -> int:
        return 8 * 3072 + a * (3072 + 2 * 1024) + a * 3072 + 4 * 24 + 3 * a * 8192

    assert layer_activations(qlora, plan, 2048).saved == by_hand(2) == 90_208
    assert layer_activations(up, plan, 2048).saved == by_hand(4) == 155_744
    # Only a bitsandbytes base is affected.
    gptq = replace(up, quantization="gptq-int4")
    assert act_bytes(gptq) == 2


CONFIG = """\
model:
  name: meta-llama/Llama-3.2-3B
  max_seq_len: 2048
  quantization: 4bit
peft:
  kind: qlora
precision: bf16
hardware:
  gpu: A10G
"""


def test_lint_path_reads_the_pinned_trl(tmp_path: Path) -> None:
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG)
    ctx = lint_file(tmp_path / "cfg.tune.yaml").context
    assert ctx is not None and ctx.estimate is not None
    current = ctx.estimate
    assert current.scenario is not None and not current.scenario.kbit_upcast
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    (pinned / "requirements.txt").write_text("trl==0.19.1\n")
    (pinned / "cfg.tune.yaml").write_text(CONFIG)
    ctx = lint_file(pinned / "cfg.tune.yaml").context
    assert ctx is not None and ctx.estimate is not None
    old = ctx.estimate
    assert old.scenario is not None and old.scenario.kbit_upcast
    assert old.estimate is not None and current.estimate is not None
    assert any(a.startswith("TRL 0.19.1: PEFT prepare_model") for a in old.estimate.assumptions)
    assert old.estimate.per_gpu_bytes > current.estimate.per_gpu_bytes


def test_cuda_context_follows_kernel_loading() -> None:
    from tunelint.knowledge.memory_scenario import GIB, cuda_context_gib

    # Eager loading: the 1343 MiB the transformers docs measured (V100, CUDA 11); lazy
    # (PyTorch >= 1.13 on CUDA >= 11.7): the 0.75 GiB default.
    assert cuda_context_gib(lazy_loading=False) * GIB == 1343 * 1024**2
    assert cuda_context_gib() == 0.75
    scn = MemoryScenario(LLAMA_3B)
    eager = replace(scn, cuda_context_gib=cuda_context_gib(lazy_loading=False))
    diff = estimate_memory(eager).per_gpu_bytes - estimate_memory(scn).per_gpu_bytes
    assert abs(diff - (1343 * 1024**2 - 0.75 * GIB)) <= 1


def test_qlora_what_if_follows_the_stack(tmp_path: Path) -> None:
    from tunelint.knowledge.memory_plan import to_qlora

    lora = CONFIG.replace("  quantization: 4bit\n", "").replace("kind: qlora", "kind: lora")
    gib = {}
    for name, pin in (("new", None), ("old", "trl==0.19.1\n")):
        folder = tmp_path / name
        folder.mkdir()
        if pin:
            (folder / "requirements.txt").write_text(pin)
        (folder / "cfg.tune.yaml").write_text(lora)
        ctx = lint_file(folder / "cfg.tune.yaml").context
        assert ctx is not None and ctx.estimate is not None
        report = ctx.estimate
        assert report.scenario is not None and report.estimate is not None
        # Not quantized: nothing to upcast, nothing said.
        assert not any(a.startswith("TRL") for a in report.estimate.assumptions)
        _, qlora = to_qlora(ctx.plan, report.scenario)
        gib[name] = estimate_memory(qlora).per_gpu_gib
    # The "with QLoRA" what-if on TRL 0.19 keeps embeddings, norms and activations in fp32.
    assert gib["old"] > gib["new"]


def test_loaded_weight_dtype_per_stack() -> None:
    from tunelint.knowledge.memory_stack import loaded_weights

    def load(trainer: str | None, version: str | None = None, **kw: object) -> tuple[str, bool]:
        args: dict = {"full": False, "precision": "bf16", "stated": None, "deepspeed": False}
        args.update(kw)
        got = loaded_weights(trainer, version, **args)
        return got.dtype, got.autocast

    # tunelint's runner (runner/precision.py model_dtype): full in fp32 + autocast, LoRA bf16.
    assert load("native", full=True) == ("fp32", True)
    assert load("native") == ("bf16", True)
    # TRL >= 0.27 (PR #4778) loads fp32 unless dtype is set, LoRA bases too; before: "auto".
    assert load("trl", "0.27.0") == ("fp32", True)
    assert load("trl", "1.16.0", full=True) == ("fp32", True)
    assert load("trl", "0.26.2") == ("bf16", True)
    assert load("trl", "1.16.0", stated="bf16") == ("bf16", True)
    # LLaMA-Factory casts full tuning to fp32; pure_bf16 states bf16 (no cast).
    assert load("llamafactory", full=True) == ("fp32", True)
    assert load("llamafactory", full=True, stated="bf16") == ("bf16", True)
    assert load("llamafactory") == ("bf16", True)
    # axolotl loads in the stated half dtype; torchtune casts the model, no autocast.
    assert load("axolotl", full=True, stated="bf16") == ("bf16", True)
    assert load("torchtune", full=True, stated="bf16") == ("bf16", False)
    # DeepSpeed keeps its own fp32 masters; an fp32 run has nothing to cast.
    assert load("trl", "1.16.0", deepspeed=True) == ("bf16", False)
    assert load("trl", "1.16.0", precision="fp32") == ("fp32", False)
    note = loaded_weights(
        "trl", "1.16.0", full=False, precision="bf16", stated=None, deepspeed=False
    ).note
    assert note is not None and note.startswith("TRL 1.16.0 loads the model in fp32")


TRL_LORA = """\
model_name_or_path: meta-llama/Llama-3.2-3B
use_peft: true
lora_r: 16
max_length: 2048
bf16: true
per_device_train_batch_size: 1
gradient_checkpointing: true
"""


def test_trl_config_weights_follow_dtype(tmp_path: Path) -> None:
    spec = LLAMA_3B
    got = {}
    for name, extra in (
        ("none", ""),
        ("dtype", "dtype: bfloat16\n"),
        ("init_kwargs", "model_init_kwargs:\n  dtype: bfloat16\n"),
        ("torch_dtype", "model_init_kwargs:\n  torch_dtype: bfloat16\n"),
        ("auto", "dtype: auto\n"),  # the checkpoint's dtype (assumed the precision)
    ):
        path = tmp_path / f"{name}.yaml"
        path.write_text(TRL_LORA + extra)
        ctx = lint_file(path, LintOptions(gpu="A10G")).context
        assert ctx is not None and ctx.estimate is not None and ctx.estimate.estimate
        got[name] = ctx.estimate.estimate.component("weights")
        said = ctx.estimate.estimate.assumptions
        assert any("loads the model in fp32" in a for a in said) == (name == "none")
    # No dtype: the frozen base in fp32 (TRL >= 0.27), 4 B per parameter instead of 2.
    assert got["none"] == weight_bytes(spec, "fp32", "none") == 2 * got["dtype"]
    assert got["dtype"] == got["init_kwargs"] == got["torch_dtype"] == got["auto"]


def test_fused_lm_head_from_trl_1_15() -> None:
    from tunelint.knowledge.memory_stack import fused_lm_head

    assert fused_lm_head("trl", "1.15.0", "sft", chunked_loss=False).fused
    assert fused_lm_head("trl", "1.16.0", "dpo", chunked_loss=False).fused
    assert not fused_lm_head("trl", "1.14.0", "sft", chunked_loss=False).fused
    # Liger's fused cross-entropy replaces the forward; other trainers compute full logits.
    assert not fused_lm_head("trl", "1.16.0", "sft", chunked_loss=True).fused
    assert not fused_lm_head("trl", "1.16.0", "ppo", chunked_loss=False).fused
    assert not fused_lm_head("axolotl", "1.16.0", "sft", chunked_loss=False).fused
    # The term (memory_activations.fused_head_spike): hidden copy + fp32 gradient + its cast
    # per token, and one [4096 x 32768] bf16 tile; no [tokens x vocabulary] tensor.
    scn = MemoryScenario(LLAMA_3B, fused_lm_head=True)
    assert loss_spike(scn, 8192)[0] == 8192 * 3072 * (2 + 4 + 2) + 4096 * 32768 * 2
    full = replace(scn, peft="full")
    head = LLAMA_3B.lm_head_params
    assert loss_spike(full, 8192)[0] == loss_spike(scn, 8192)[0] + head * (4 + 2)


LLAMAFACTORY_FULL = """\
model_name_or_path: meta-llama/Llama-3.2-3B
stage: sft
do_train: true
finetuning_type: full
dataset: alpaca_en_demo
template: llama3
cutoff_len: 1024
bf16: true
per_device_train_batch_size: 1
output_dir: out
"""


def test_llamafactory_full_tuning_in_fp32_unless_pure_bf16(tmp_path: Path) -> None:
    got = {}
    for name, extra in (("cast", ""), ("pure", "pure_bf16: true\n")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(LLAMAFACTORY_FULL + extra)
        ctx = lint_file(path, LintOptions(gpu="H100")).context
        assert ctx is not None and ctx.facts.trainer == "llamafactory"
        assert ctx.estimate is not None and ctx.estimate.estimate is not None
        got[name] = ctx.estimate.estimate.component("weights")
    # model/adapter.py: trainable parameters cast to fp32 (4 B) unless pure_bf16 (2 B).
    assert got["cast"] == weight_bytes(LLAMA_3B, "fp32", "none") == 2 * got["pure"]
