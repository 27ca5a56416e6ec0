"""Cross-file references (issue 14 item 6): a named file that cannot be found is a warning at
the reference and an assumption of the memory verdict; a DeepSpeed JSON that a config beside
it uses is not asked to say "auto"."""

from __future__ import annotations

from pathlib import Path

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_file

# Written for the HF integration ("auto" elsewhere), with one value fixed.
DS_FIXED = (
    '{\n  "train_micro_batch_size_per_gpu": 4,\n  "gradient_accumulation_steps": "auto",\n'
    '  "zero_optimization": {"stage": 3}\n}\n'
)


def test_missing_deepspeed_file_is_a_warning_at_the_reference(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    config = tmp_path / "sft.yml"
    config.write_text(
        "base_model: Qwen/Qwen2.5-7B\nadapter: lora\ndeepspeed: ds/zero3_offload.json\n"
        "datasets:\n  - path: tatsu-lab/alpaca\n    type: alpaca\n"
    )
    result = lint_file(config, LintOptions(settings=Settings(), select=("TL518",)))
    (missing,) = result.diagnostics
    assert (missing.severity, missing.range.start.line + 1) == ("warning", 3)
    assert "DeepSpeed config `ds/zero3_offload.json` not found" in missing.message
    facts = result.context.facts
    assert [m.reference for m in facts.missing_files] == ["ds/zero3_offload.json"]
    # The ZeRO stage still comes from the file name, and counts as read from the reference.
    assert result.plan.hardware.distributed == "deepspeed-zero3"


def test_hard_coded_values_need_no_auto_when_a_config_beside_uses_the_file(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    ds = tmp_path / "deepspeed" / "ds_fixed.json"
    ds.parent.mkdir()
    ds.write_text(DS_FIXED)
    options = LintOptions(settings=Settings(), select=("TL522",))
    (alone,) = lint_file(ds, options).diagnostics
    assert alone.range.start.line + 1 == 2 and '"auto"' in alone.message
    configs = tmp_path / "configs"
    configs.mkdir()
    (configs / "sft.yml").write_text("base_model: x/y\ndeepspeed: deepspeed/ds_fixed.json\n")
    assert lint_file(ds, options).diagnostics == []
