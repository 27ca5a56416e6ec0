"""A config that names a DeepSpeed JSON or an accelerate YAML is read together with it, and each
finding lands in the file and on the line where it belongs."""

from __future__ import annotations

from pathlib import Path

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_file

PROJECT = Path(__file__).parent / "fixtures" / "project"
OPTIONS = LintOptions(settings=Settings(), gpu="A100-80GB")


def _where(result, code: str) -> list[tuple[Path, int]]:
    return sorted(
        (Path(d.file).resolve(), d.range.start.line + 1)
        for d in result.diagnostics
        if d.code == code
    )


def test_axolotl_reads_its_deepspeed_json() -> None:
    result = lint_file(PROJECT / "configs" / "axolotl_ds.yml", OPTIONS)
    ds = (PROJECT / "deepspeed" / "ds_fixed.json").resolve()
    assert result.dialect == "axolotl"
    assert result.plan is not None
    # The ZeRO stage and offload come from the JSON, located there.
    assert result.plan.hardware.distributed == "deepspeed-zero3"
    assert result.plan.hardware.cpu_offload is True
    assert result.plan.hardware.deepspeed_config == "deepspeed/ds_fixed.json"
    stage = result.source_map.get(("hardware", "distributed"))
    assert stage is not None and stage.file is not None
    assert Path(stage.file).resolve() == ds and stage.value.start.line == 2
    assert any(Path(p).resolve() == ds for p in result.mapped.related)
    # fp16 on while the trainer trains in bf16 (line 6) and micro-batch 4 vs 2 (line 8)...
    assert _where(result, "TL504") == [(ds, 6), (ds, 8)]
    # ...gradient_accumulation_steps 4 agrees with the trainer: no finding on line 9.
    # fp16 and bf16 both on inside the JSON: shown there.
    assert _where(result, "TL503") == [(ds, 6)]
    # Findings in another file carry no fix (the fix would edit that file).
    assert all(d.fix is None for d in result.diagnostics if Path(d.file).resolve() == ds)
    messages = [d.message for d in result.diagnostics if d.code == "TL504"]
    assert any("train_micro_batch_size_per_gpu` = 4 but the trainer sets 2" in m for m in messages)


def test_deepspeed_json_alone_has_no_trainer_to_contradict() -> None:
    result = lint_file(PROJECT / "deepspeed" / "ds_fixed.json", OPTIONS)
    assert result.dialect == "deepspeed"
    codes = [d.code for d in result.diagnostics]
    assert "TL504" not in codes
    assert codes.count("TL503") == 1  # both precisions on: its own finding, with a fix here
    (both,) = [d for d in result.diagnostics if d.code == "TL503"]
    assert both.fix is not None and both.range.start.line + 1 == 6


def test_llamafactory_with_auto_values_is_clean() -> None:
    result = lint_file(PROJECT / "configs" / "llamafactory_ds.yaml", OPTIONS)
    assert result.dialect == "llamafactory"
    assert result.plan is not None and result.plan.hardware.distributed == "deepspeed-zero3"
    assert [d.code for d in result.diagnostics if d.code.startswith("TL5")] == []


def test_trl_reads_accelerate_and_its_deepspeed_file() -> None:
    result = lint_file(PROJECT / "configs" / "trl_accelerate.yaml", OPTIONS)
    acc = (PROJECT / "accelerate" / "zero3.yaml").resolve()
    main = (PROJECT / "configs" / "trl_accelerate.yaml").resolve()
    assert result.dialect == "trl"
    plan = result.plan
    assert plan is not None
    assert plan.hardware.distributed == "deepspeed-zero3"  # from ds_auto.json via accelerate
    assert plan.hardware.count == 4  # accelerate num_processes / num_machines
    # accelerate's deepspeed_config.gradient_accumulation_steps (8) vs the trainer's 2.
    assert _where(result, "TL504") == [(acc, 6)]
    # QLoRA under ZeRO-3 without bnb_4bit_quant_storage: in the TRL file, with a fix there.
    assert _where(result, "TL505") == [(main, 4)]
    (storage,) = [d for d in result.diagnostics if d.code == "TL505"]
    assert storage.fix is not None
    assert storage.fix.edits[0].new_text == "\nbnb_4bit_quant_storage: bfloat16"


def test_trl_builtin_accelerate_name() -> None:
    result = lint_file(PROJECT / "configs" / "trl_builtin.yaml", OPTIONS)
    assert result.plan is not None and result.plan.hardware.distributed == "fsdp"
    assert "TL505" in {d.code for d in result.diagnostics}


def test_unresolved_reference_takes_the_stage_from_the_name() -> None:
    """`deepspeed_configs/zero2.json` is relative to the launch folder: not found here."""
    result = lint_file(PROJECT / "configs" / "axolotl_missing_ds.yml", OPTIONS)
    assert result.plan is not None and result.plan.hardware.distributed == "deepspeed-zero2"
    assert result.mapped is not None and result.mapped.related == {}
    located = result.source_map.get(("hardware", "distributed"))
    assert located is not None and located.file is None and located.value.start.line == 6
