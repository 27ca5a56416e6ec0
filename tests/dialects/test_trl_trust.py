"""TRL files as user repositories write them (issue 14, trust): what the file does not say is
not claimed, and what decided a reading is the strongest evidence the file gives."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.config.source_map import SourceMap
from tunelint.config.validate import build_plan
from tunelint.lint import LintOptions, LintResult, lint_text

# A DPO config of a project whose own script reads the data (`train_dir` script argument).
OWN_DATA_DPO = """\
model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
train_dir: data/train
beta: 0.1
learning_rate: 5.0e-7
per_device_train_batch_size: 1
output_dir: out
"""


def _lint(text: str, name: str, dialect: str | None = "trl") -> LintResult:
    return lint_text(text, name, LintOptions(settings=Settings(), dialect=dialect))


def test_trl_file_without_data_has_no_data_section_and_no_missing_field() -> None:
    result = _lint(OWN_DATA_DPO, "configs/dpo_config.yaml")
    assert result.plan is not None
    assert result.plan.method.kind == "dpo"
    assert result.plan.data is None
    assert "TL903" not in {d.code for d in result.diagnostics}


def test_trl_file_with_data_reads_the_preference_layout() -> None:
    result = _lint(OWN_DATA_DPO + "dataset_name: trl-lib/ultrafeedback_binarized\n", "dpo.yaml")
    assert result.plan is not None and result.plan.data is not None
    assert (result.plan.data.train, result.plan.data.format) == (
        "trl-lib/ultrafeedback_binarized",
        "preference",
    )


def test_native_file_still_needs_its_required_fields() -> None:
    text = "model:\n  name: Qwen/Qwen2.5-0.5B\ndata:\n  format: preference\n"
    result = _lint(text, "x.tune.yaml", dialect=None)
    missing = [d for d in result.diagnostics if d.code == "TL903"]
    assert [d.message for d in missing] == ["missing required field `data.train`"]


def test_required_fields_are_reported_only_for_native_files() -> None:
    data = {"model": {"name": "Qwen/Qwen2.5-0.5B"}, "data": {"format": "preference"}}
    plan, problems = build_plan(data, SourceMap(), "torchtune")
    assert plan is not None and plan.data is None and problems == []
    plan, problems = build_plan(data, SourceMap(), "native")
    assert plan is not None and plan.data is None
    assert [(p.kind, p.path) for p in problems] == [("missing-field", ("data", "train"))]
