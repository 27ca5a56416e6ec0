"""TL400/TL401/TL402: the memory rules fire, stay silent, and their fixes make the config fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tunelint.config.settings import Settings
from tunelint.knowledge.memory_plan import MemoryReport
from tunelint.lint import LintOptions, fix_text, lint_text

OPTIONS = LintOptions(settings=Settings())


def _lint(text: str, path: str = "case.tune.yaml", options: LintOptions = OPTIONS):
    return lint_text(text, path, options)


def _codes(text: str, options: LintOptions = OPTIONS) -> list[str]:
    return [d.code for d in _lint(text, options=options).diagnostics if d.code.startswith("TL4")]


TOO_BIG = """\
model:
  name: Qwen/Qwen2.5-7B-Instruct
  max_seq_len: 2048
peft:
  kind: lora
precision: bf16
hardware:
  gpu: A10G
training:
  micro_batch_size: 4
  gradient_accumulation_steps: 4
"""


def test_tl402_fires_with_estimate_capacity_and_largest_component() -> None:
    # Packed: every sequence is full length (not an upper bound), so an error can stand.
    result = _lint(TOO_BIG + "  sample_packing: true\n")
    [diag] = [d for d in result.diagnostics if d.code == "TL402"]
    assert diag.severity == "error"
    assert "exceeds A10G (24 GiB)" in diag.message and "largest: activations" in diag.message
    assert (diag.range.start.line, diag.range.start.column) == (1, 8)  # model.name
    assert diag.fix is not None
    # Checkpointing alone is not enough here; the split keeps the effective batch of 16.
    assert "gradient checkpointing" in diag.fix.title.lower()
    assert diag.fix.applicability == "safe"


def test_tl402_fix_makes_it_fit_and_keeps_the_effective_batch() -> None:
    fixed = fix_text(TOO_BIG, "case.tune.yaml", OPTIONS, codes={"TL402"})
    assert "TL402" not in {d.code for d in fixed.result.diagnostics}
    plan = fixed.result.plan
    assert plan is not None and plan.training.gradient_checkpointing
    effective = plan.training.micro_batch_size * plan.training.gradient_accumulation_steps
    assert effective == 16
    report = fixed.result.context.estimate
    assert isinstance(report, MemoryReport) and report.fits


def test_tl402_prefers_checkpointing_alone_when_it_fits() -> None:
    text = TOO_BIG.replace("micro_batch_size: 4", "micro_batch_size: 1").replace("A10G", "L40S")
    text = text.replace("max_seq_len: 2048", "max_seq_len: 4096")
    [diag] = [d for d in _lint(text).diagnostics if d.code == "TL402"]
    assert diag.fix is not None and diag.fix.title == "Enable gradient checkpointing"


def test_tl402_qlora_fix_is_unsafe() -> None:
    text = TOO_BIG.replace("micro_batch_size: 4", "micro_batch_size: 1").replace("A10G", "T4")
    text = text.replace("precision: bf16", "precision: fp16")
    [diag] = [d for d in _lint(text).diagnostics if d.code == "TL402"]
    assert diag.fix is not None and "QLoRA" in diag.fix.title
    assert diag.fix.applicability == "unsafe"
    fixed = fix_text(text, "case.tune.yaml", OPTIONS, unsafe=True, codes={"TL402"})
    assert "kind: qlora" in fixed.text
    assert "TL402" not in {d.code for d in fixed.result.diagnostics}


def test_tl402_split_is_unsafe_for_online_rl() -> None:
    text = TOO_BIG.replace("peft:\n", "method:\n  kind: grpo\npeft:\n")
    text = text.replace("gpu: A10G", "gpu: A100-80GB")
    # Checkpointed already (so the split, not checkpointing, is the fix) and long enough
    # not to fit: TRL's fused LM head has no full logits to dominate.
    text = text.replace("max_seq_len: 2048", "max_seq_len: 32768")
    text = text.replace("training:\n", "training:\n  gradient_checkpointing: true\n")
    diags = [d for d in _lint(text).diagnostics if d.code == "TL402"]
    splits = [d.fix for d in diags if d.fix is not None and "Micro-batch" in d.fix.title]
    assert splits, diags  # the split is offered, and as unsafe
    assert [fix.applicability for fix in splits] == ["unsafe"] * len(splits)


def test_tl402_silent_when_it_fits_or_without_gpu() -> None:
    fits = TOO_BIG.replace("A10G", "H100").replace("micro_batch_size: 4", "micro_batch_size: 1")
    assert "TL402" not in _codes(fits)
    no_gpu = TOO_BIG.replace("hardware:\n  gpu: A10G\n", "")
    assert _codes(no_gpu) == []


def test_tl402_uses_gpu_count_and_sharding() -> None:
    text = """\
model:
  name: meta-llama/Llama-3.1-8B
  max_seq_len: 1024
peft:
  kind: full
  reason: continued pretraining
precision: bf16
hardware:
  gpu: A100-40GB
  count: 8
  distributed: deepspeed-zero3
training:
  gradient_checkpointing: true
"""
    assert "TL402" not in _codes(text)
    single = text.replace("  count: 8\n  distributed: deepspeed-zero3\n", "")
    assert "TL402" in _codes(single)


def test_tl400_reports_an_unresolvable_model() -> None:
    text = "model:\n  name: my-org/private-model\nhardware:\n  gpu: A10G\n"
    result = _lint(text)
    [diag] = [d for d in result.diagnostics if d.code == "TL400"]
    assert diag.severity == "info" and "not in the model catalog" in diag.message
    assert not [d for d in result.diagnostics if d.code in ("TL401", "TL402")]
    # Placeholders and GPU-less configs stay silent.
    assert _codes("model:\n  name: x\nhardware:\n  gpu: A10G\n") == []
    assert _codes("model:\n  name: my-org/private-model\n") == []


def test_tl400_resolves_a_local_model_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ckpt"
    folder.mkdir()
    (folder / "config.json").write_text(
        '{"model_type": "llama", "hidden_size": 2048, "intermediate_size": 8192, '
        '"num_hidden_layers": 16, "num_attention_heads": 32, "num_key_value_heads": 8, '
        '"head_dim": 64, "vocab_size": 128256, "tie_word_embeddings": true}'
    )
    config = tmp_path / "run.tune.yaml"
    text = "model:\n  name: ./ckpt\nhardware:\n  gpu: A10G\n"
    config.write_text(text)
    result = lint_text(text, config, OPTIONS)
    report = result.context.estimate
    assert isinstance(report, MemoryReport) and report.estimate is not None
    assert report.model is not None and report.model.param_count() == 1_235_814_400
    assert not [d for d in result.diagnostics if d.code == "TL400"]


def test_tl401_qlora_on_a_big_gpu() -> None:
    text = """\
model:
  name: Qwen/Qwen2.5-7B
peft:
  kind: qlora
precision: bf16
hardware:
  gpu: A100-80GB
"""
    [diag] = [d for d in _lint(text).diagnostics if d.code == "TL401"]
    assert "plain LoRA fits" in diag.message and diag.fix is not None
    assert diag.fix.applicability == "unsafe"
    fixed = fix_text(text, "case.tune.yaml", OPTIONS, unsafe=True, codes={"TL401"})
    assert "kind: lora" in fixed.text and "TL401" not in _codes(fixed.text)
    # QLoRA where memory is the stated priority, or on a small GPU, is the article's choice.
    assert "TL401" not in _codes(text.replace("peft:", "intent:\n  priority: memory\npeft:"))
    assert "TL401" not in _codes(text.replace("A100-80GB", "RTX 3060"))


def test_tl401_tight_full_finetune_on_a_mid_gpu() -> None:
    text = """\
model:
  name: Qwen/Qwen2.5-0.5B
  max_seq_len: 4096
peft:
  kind: full
  reason: domain adaptation
precision: bf16
hardware:
  gpu: RTX 4090
training:
  gradient_checkpointing: true
  micro_batch_size: {mbs}
"""
    # tunelint's runner holds a full fine-tune in fp32 (20 B per parameter with AdamW): a
    # 0.5B model, whose activations grow to the edge of 24 GiB with the micro-batch.
    tight = None
    for mbs in range(1, 64):
        result = _lint(text.format(mbs=mbs))
        codes = {d.code for d in result.diagnostics}
        if "TL402" in codes:
            break
        if "TL401" in codes:
            tight = result
    assert tight is not None, "a micro-batch at the edge of 24 GiB gives TL401"
    [diag] = [d for d in tight.diagnostics if d.code == "TL401"]
    assert "24-48 GB: DPO + LoRA" in diag.message and "headroom" in diag.message
    assert diag.fix is not None and "lora" in diag.fix.edits[0].new_text


def test_context_estimate_is_the_report() -> None:
    result = _lint(TOO_BIG)
    report = result.context.estimate
    assert isinstance(report, MemoryReport)
    assert report.capacity_gib == 24 and report.fits is False
    assert result.context.estimate is report  # computed once


def test_tl402_is_an_error_only_past_the_estimates_error_band() -> None:
    """Over the GPU by less than the estimator's ±25%: a warning that says so; past it: an
    error. Sequence lengths sweep a LoRA 8B run on a 24 GiB card through both sides."""
    import re

    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    seen: dict[str, int] = {}
    for seq in (1024, 2048, 3072, 4096, 6144, 8192, 16384):
        text = (
            "model:\n  name: meta-llama/Llama-3.1-8B\n"
            f"  max_seq_len: {seq}\nmethod:\n  kind: sft\npeft:\n  kind: lora\n"
            "precision: bf16\nhardware:\n  gpu: RTX 4090\ntraining:\n  micro_batch_size: 2\n"
            "  gradient_checkpointing: true\n  sample_packing: true\n"  # full-length rows
        )
        options = LintOptions(settings=Settings(), select=("TL402",))
        for d in lint_text(text, "run.tune.yaml", options).diagnostics:
            est = float(re.search(r"estimated peak ([\d.]+) GiB", d.message).group(1))
            expected = "error" if est > 24 * 1.25 else "warning"
            assert d.severity == expected, (seq, est, d.severity)
            assert ("error band" in d.message) == (expected == "warning")
            seen[expected] = seen.get(expected, 0) + 1
    assert seen.get("error") and seen.get("warning"), seen  # both sides were exercised


def test_tl402_on_trl_and_llamafactory_assumes_the_launch_shards_nothing() -> None:
    """TRL and LLaMA-Factory FSDP runs take ZeRO/FSDP from `accelerate launch --config_file`:
    without `deepspeed`/`fsdp` in the file the count is assumed (a warning that says so)."""
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    trl = (
        "model_name_or_path: meta-llama/Llama-3.1-8B\nmax_length: 4096\n"
        "per_device_train_batch_size: 8\nbf16: true\nlearning_rate: 2.0e-5\n"
        "gradient_checkpointing: true\noutput_dir: runs/x\n"
    )
    options = LintOptions(settings=Settings(), select=("TL402",), gpu="RTX 4090")
    (found,) = lint_text(trl, "sft.yaml", options).diagnostics
    assert found.severity == "warning" and "assuming 1 GPU, unsharded" in found.message
    stated = trl + "deepspeed: ds_z3.json\n"
    for d in lint_text(stated, "sft.yaml", options).diagnostics:
        assert "assuming 1 GPU, unsharded" not in d.message


def test_tl402_on_unmeasured_lengths_is_an_upper_bound() -> None:
    """No packing, no padding to the length, no data file to measure: batches are padded to
    their longest sample only, so the estimate is an upper bound: a warning that says what
    it assumed, never an error. Padding that is certain keeps the error."""
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_text

    options = LintOptions(settings=Settings(), select=("TL402",), gpu="A10G")
    (unpacked,) = _lint(TOO_BIG).diagnostics
    assert unpacked.code == "TL402" and unpacked.severity == "warning"
    assert "(assuming every sequence reaches the maximum length, 2,048 tokens)" in unpacked.message
    axolotl = (
        "base_model: Qwen/Qwen2.5-7B-Instruct\nsequence_len: 2048\nadapter: lora\n"
        "micro_batch_size: 4\ngradient_accumulation_steps: 4\nbf16: true\n"
        "datasets:\n  - path: data.jsonl\n    type: alpaca\noutput_dir: out\n"
    )
    (plain,) = lint_text(axolotl, "ax.yml", options).diagnostics
    assert plain.severity == "warning" and "every sequence reaches" in plain.message
    for extra in ("pad_to_sequence_len: true\n", "sample_packing: true\n"):
        (padded,) = lint_text(axolotl + extra, "ax.yml", options).diagnostics
        assert padded.severity == "error", extra
        assert "every sequence reaches" not in padded.message


def test_tl403_trl_adapter_run_without_dtype(tmp_path: Path) -> None:
    """TRL >= 0.27 loads a model given by name in fp32 unless dtype is set (trl PR #4778):
    an adapter run's frozen base in fp32. Not with dtype, not before 0.27, not for full
    fine-tuning, not for tunelint's own format (its runner loads the model itself)."""
    from tunelint.config.settings import Settings
    from tunelint.lint import LintOptions, lint_file

    base = (
        "model_name_or_path: meta-llama/Llama-3.1-8B\nuse_peft: true\nbf16: true\n"
        "max_length: 2048\noutput_dir: runs/x\n"
    )
    options = LintOptions(settings=Settings(), select=("TL403",), gpu="H100")

    def codes(text: str, pin: str = "trl==1.16.0\n") -> list[Any]:
        folder = tmp_path / str(abs(hash((text, pin))))
        folder.mkdir()
        (folder / "requirements.txt").write_text(pin)
        (folder / "sft.yaml").write_text(text)
        return lint_file(folder / "sft.yaml", options).diagnostics

    (found,) = codes(base)
    assert found.code == "TL403" and found.severity == "warning"
    assert "TRL 1.16.0 loads the model in fp32" in found.message
    assert "`dtype: bfloat16`" in found.message and "assuming" not in found.message
    assert codes(base + "dtype: bfloat16\n") == []
    assert codes(base + "model_init_kwargs:\n  dtype: auto\n") == []
    assert codes(base, pin="trl==0.26.2\n") == []
    full = base.replace("use_peft: true\n", "")
    assert codes(full) == []
    native = "model:\n  name: meta-llama/Llama-3.1-8B\npeft:\n  kind: lora\nprecision: bf16\n"
    assert [d for d in lint_text(native, "run.tune.yaml", options).diagnostics] == []
