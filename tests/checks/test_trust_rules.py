"""Rules on configs as user repositories write them (issue 14, trust): a finding fires on
the bad config and stays silent where the framework never sees what the text shows."""

from __future__ import annotations

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, lint_text

KEYS = LintOptions(settings=Settings(), select=("TL921",), dialect="deepspeed")

HYDRA_DEEPSPEED = """\
train_micro_batch_size_per_gpu: ${batch_size}
gradient_accumulation_steps: ${gradient_accumulation_steps}
bf16:
  enabled: ENABLED
zero_optimization:
  stage: 2
"""


def _codes(result: LintResult) -> list[tuple[str, int]]:
    return [(d.code, d.range.start.line + 1) for d in result.diagnostics]


def test_an_omegaconf_interpolation_is_not_judged_by_its_written_type() -> None:
    text = HYDRA_DEEPSPEED.replace("ENABLED", "${is_bf16}")
    assert _codes(lint_text(text, "configs/deepspeed/ds_config_zero2.yaml", KEYS)) == []
    text = HYDRA_DEEPSPEED.replace("ENABLED", "bf16_${x}")
    assert _codes(lint_text(text, "configs/deepspeed/ds_config_zero2.yaml", KEYS)) == []


def test_a_string_that_is_no_interpolation_is_still_judged() -> None:
    text = HYDRA_DEEPSPEED.replace("ENABLED", "'{is_bf16}'")
    result = lint_text(text, "configs/deepspeed/ds_config_zero2.yaml", KEYS)
    assert _codes(result) == [("TL921", 4)]
    assert result.diagnostics[0].message.startswith("`enabled` takes bool, not str")
