"""TL522 speaks only about DeepSpeed JSONs written for the HF integration: a file with no
"auto" anywhere is for a plain `deepspeed` launch (DeepSpeedExamples), which needs numbers."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

PLAIN = '{\n  "train_micro_batch_size_per_gpu": 4,\n  "bf16": {"enabled": true},\n  "zero_optimization": {"stage": 2}\n}\n'
HF = PLAIN.replace(
    '"zero_optimization"', '"gradient_accumulation_steps": "auto",\n  "zero_optimization"'
)


def _tl522(text: str, tmp_path) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "ds_config.json"
    path.write_text(text, encoding="utf-8")
    options = LintOptions(settings=Settings(), select=("TL522",))
    return [
        (d.range.start.line, d.range.start.column)
        for d in lint_text(text, path, options).diagnostics
    ]


def test_plain_deepspeed_launch_file_is_left_alone(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _tl522(PLAIN, tmp_path) == []


def test_hf_integration_file_with_fixed_values_is_flagged(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _tl522(HF, tmp_path) == [(1, 36), (2, 22)]  # the values 4 and true
