"""Each dialect reads its keys into the Plan (with the trainer's own defaults where the file is
silent) and points every canonical path at the dialect key it came from."""

from __future__ import annotations

from pathlib import Path

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, lint_file, lint_text

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dialects"
OPTIONS = LintOptions(settings=Settings(), gpu="A100-80GB")


def _lint(relative: str) -> LintResult:
    result = lint_file(EXAMPLES / relative, OPTIONS)
    assert result.plan is not None
    return result


def _at(result: LintResult, path: tuple[str, ...]) -> tuple[str | None, int, str | None]:
    """(dialect key, 1-based line, file) where a canonical path was written."""
    location = result.source_map.get(path)
    assert location is not None, path
    file = Path(location.file).name if location.file else None
    return location.dialect_key, location.value.start.line + 1, file


def test_axolotl() -> None:
    result = _lint("axolotl/qlora.yml")
    plan = result.plan
    assert plan is not None
    assert plan.model.name == "Qwen/Qwen2.5-7B-Instruct"
    assert plan.model.max_seq_len == 2048
    assert (plan.peft.kind, plan.peft.r, plan.peft.alpha) == ("qlora", 16, 32)
    assert plan.peft.target_modules == "all-linear"
    assert plan.effective_quantization == "4bit"
    assert plan.precision == "fp16"
    assert plan.training.optimizer == "paged_adamw_8bit"
    assert (plan.training.micro_batch_size, plan.training.gradient_accumulation_steps) == (2, 4)
    assert (plan.training.warmup_steps, plan.training.warmup_ratio) == (20, 0.05)
    assert plan.training.sample_packing is True
    assert plan.data is not None and plan.data.train == "data/train.jsonl"
    assert plan.hardware.distributed == "deepspeed-zero2"
    assert plan.hardware.cpu_offload is True  # offload_optimizer in the JSON
    assert _at(result, ("precision",)) == ("fp16", 25, None)
    assert _at(result, ("peft", "kind")) == ("adapter", 4, None)
    assert _at(result, ("training", "learning_rate")) == ("learning_rate", 20, None)
    assert _at(result, ("hardware", "distributed")) == ("zero_optimization.stage", 3, "zero2.json")


def test_axolotl_bf16_auto_leaves_precision_to_the_gpu() -> None:
    text = "base_model: Qwen/Qwen2.5-0.5B\nadapter: lora\nbf16: auto\n"
    result = lint_text(text, "a.yml", OPTIONS)
    assert result.plan is not None and result.plan.precision is None
    assert _at(result, ("precision",)) == ("bf16", 3, None)
    assert result.diagnostics == []
    # No bf16 key is the schema's default, `auto` (axolotl 0.21 schemas/config.py), not fp32.
    unset = lint_text("base_model: x/y\nadapter: lora\n", "a.yml", OPTIONS)
    assert unset.plan is not None and unset.plan.precision is None
    assert "TL104" not in {d.code for d in unset.diagnostics}
    fp32 = lint_text("base_model: x/y\nadapter: lora\nbf16: false\n", "a.yml", OPTIONS)
    assert fp32.plan is not None and fp32.plan.precision == "fp32"  # bf16 off, no fp16
    assert "TL104" in {d.code for d in fp32.diagnostics}


def test_llamafactory_fills_its_defaults() -> None:
    result = _lint("llamafactory/llama3_lora_ppo.yaml")
    plan = result.plan
    assert plan is not None
    assert plan.method.kind == "ppo" and plan.method.reward_model is None
    # LLaMA-Factory's LoRA defaults: rank 8, alpha 2 x rank, no dropout, all linear layers.
    assert (plan.peft.kind, plan.peft.r, plan.peft.alpha, plan.peft.dropout) == ("lora", 8, 16, 0)
    assert plan.peft.target_modules == "all-linear"
    assert plan.model.max_seq_len == 1024
    assert plan.training.gradient_checkpointing is True  # on unless disabled
    assert (plan.training.micro_batch_size, plan.training.learning_rate) == (1, 1e-5)
    assert plan.precision == "bf16"
    assert _at(result, ("method", "kind")) == ("stage", 5, None)
    assert _at(result, ("model", "max_seq_len")) == ("cutoff_len", 14, None)


def test_trl_with_its_accelerate_config() -> None:
    result = _lint("trl/sft_qlora.yaml")
    plan = result.plan
    assert plan is not None
    assert plan.method.kind == "sft"  # from the file name
    assert plan.model.max_seq_len == 2048  # from the (renamed) max_seq_length
    assert plan.model.attn_implementation == "sdpa"
    assert (plan.peft.kind, plan.peft.r, plan.peft.alpha) == ("qlora", 16, 16)
    assert plan.precision == "bf16"
    assert plan.training.learning_rate == 2e-5  # what the number means, string or not
    assert plan.training.gradient_checkpointing is True  # TRL's default
    assert plan.hardware.distributed == "fsdp" and plan.hardware.count == 4
    assert _at(result, ("hardware", "distributed")) == ("distributed_type", 2, "fsdp.yaml")
    assert result.mapped is not None
    facts = result.mapped.facts
    assert facts.weights_dtype == "bf16"
    assert facts.quant_storage is None and facts.quant_storage_key is not None
    # The keys TRL no longer takes come from its option table (TL510), not a dialect list.
    removed = [d.message.split("`")[1] for d in result.diagnostics if d.code == "TL510"]
    assert removed == ["torch_dtype", "max_seq_length"]
    assert [(s.raw, s.safe_text) for s in facts.yaml11_strings] == [("2e-5", "2.0e-5")]


def test_torchtune() -> None:
    result = _lint("torchtune/lora_dpo.yaml")
    plan = result.plan
    assert plan is not None
    assert plan.model.name == "/tmp/Qwen2.5-7B-Instruct"  # the checkpoint the weights come from
    assert plan.method.kind == "dpo"
    assert (plan.peft.kind, plan.peft.r, plan.peft.alpha) == ("lora", 16, 32)
    assert plan.peft.target_modules == ["q_proj", "v_proj", "output_proj", "w1", "w2", "w3"]
    assert plan.precision == "bf16"
    assert (plan.training.micro_batch_size, plan.training.learning_rate) == (2, 5e-5)
    assert plan.training.sample_packing is True
    assert _at(result, ("training", "sample_packing")) == ("dataset.packed", 14, None)
    assert _at(result, ("peft", "kind")) == ("model._component_", 4, None)


def test_deepspeed_and_accelerate_alone_are_fragments() -> None:
    ds = _lint("deepspeed/zero2.json")
    assert ds.plan is not None and ds.mapped is not None
    assert ds.mapped.facts.fragment is True
    assert ds.plan.hardware.distributed == "deepspeed-zero2"
    assert ds.plan.training.micro_batch_size == 4
    assert ds.plan.precision is None  # "auto": the trainer decides
    assert ds.diagnostics == []
    acc = _lint("accelerate/fsdp.yaml")
    assert acc.plan is not None and acc.mapped is not None
    assert acc.mapped.facts.fragment is True
    assert (acc.plan.hardware.distributed, acc.plan.hardware.count) == ("fsdp", 4)
    assert acc.plan.precision == "bf16"
    assert acc.diagnostics == []


def test_article_rules_work_through_every_dialect() -> None:
    """The same fact (fp16 on an Ampere GPU) in each format gives the same article finding."""
    configs = {
        "axolotl": ("a.yml", "base_model: x/y\nadapter: lora\nfp16: true\n"),
        "llamafactory": ("b.yaml", "model_name_or_path: x/y\nstage: sft\nfp16: true\n"),
        "trl": ("c.yaml", "model_name_or_path: x/y\ndataset_name: d\nuse_peft: true\nfp16: true\n"),
        "deepspeed": ("d.json", '{"zero_optimization": {"stage": 2}, "fp16": {"enabled": true}}'),
        "accelerate": (
            "e.yaml",
            "compute_environment: LOCAL_MACHINE\ndistributed_type: NO\nmixed_precision: fp16\n",
        ),
    }
    for dialect, (name, text) in configs.items():
        result = lint_text(text, name, OPTIONS)
        assert result.dialect == dialect
        found = [d for d in result.diagnostics if d.code == "TL101"]
        assert len(found) == 1 and found[0].fix is not None, (dialect, result.diagnostics)


def test_reason_from_a_suppression_comment() -> None:
    """axolotl has no `peft.reason`: the suppression comment carries it."""
    text = (
        "# tunelint: ignore[TL301] full update needed: the tokenizer gained 2,000 tokens\n"
        "base_model: NousResearch/Meta-Llama-3-8B\n"
        "datasets:\n  - path: data/train.jsonl\n    type: alpaca\nbf16: true\n"
    )
    result = lint_text(text, "fft.yml", OPTIONS)
    assert result.dialect == "axolotl"
    assert "TL301" not in {d.code for d in result.diagnostics}
    bare = lint_text(text.split("\n", 1)[1], "fft.yml", OPTIONS)
    (full,) = [d for d in bare.diagnostics if d.code == "TL301"]
    assert full.range.start.line == 0  # at base_model: where the comment goes


def test_gpu_from_project_settings(tmp_path: Path) -> None:
    """The GPU is in no dialect's file: project settings (or --gpu) supply it."""
    from tunelint.config.settings import clear_settings_cache

    (tmp_path / "tunelint.toml").write_text('gpu = "T4"\n', encoding="utf-8")
    config = tmp_path / "lora.yml"
    config.write_text("base_model: Qwen/Qwen2.5-0.5B\nadapter: lora\nbf16: true\n", "utf-8")
    clear_settings_cache()
    try:
        result = lint_file(config)
    finally:
        clear_settings_cache()
    assert result.dialect == "axolotl"
    (bf16,) = [d for d in result.diagnostics if d.code == "TL102"]
    assert bf16.range.start.line == 2
    assert bf16.fix is not None and bf16.fix.edits[0].new_text == "fp16: true\n"


def test_examples_show_what_their_readme_says() -> None:
    """examples/dialects/README.md lists each example's findings (at --gpu A100-80GB)."""
    expected = {
        "axolotl/qlora.yml": {"TL101", "TL401", "TL504", "TL516"},
        "llamafactory/llama3_lora_ppo.yaml": {"TL507"},
        "trl/sft_qlora.yaml": {"TL401", "TL505", "TL510", "TL511"},
        "torchtune/lora_dpo.yaml": {"TL506"},
        "deepspeed/zero2.json": set(),
        "accelerate/fsdp.yaml": set(),
    }
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for relative, codes in expected.items():
        assert {d.code for d in _lint(relative).diagnostics} == codes, relative
        for code in codes:
            assert code in readme
