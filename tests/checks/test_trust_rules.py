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


AXOLOTL_SHAREGPT = """\
base_model: NousResearch/Meta-Llama-3-8B
adapter: lora
datasets:
  - path: my/alpaca
    type: alpaca
  - path: my/sharegpt-data
    type: TYPE
    conversation: chatml
output_dir: ./outputs/lora
"""
SHAREGPT_MESSAGE = (
    "`type: sharegpt` was removed in axolotl 0.5.0: the config is refused at start-up; use "
    "`type: chat_template` with `field_messages: conversations` and "
    "`message_property_mappings: {role: from, content: value}`"
)


def _sharegpt(text: str, versions: dict[str, str]) -> list[tuple[str, int, str, bool]]:
    options = LintOptions(settings=Settings(versions=versions), select=("TL528",))
    result = lint_text(text, "lora.yml", options)
    assert result.dialect == "axolotl"
    return [
        (d.severity, d.range.start.line + 1, d.message, d.fix is not None)
        for d in result.diagnostics
    ]


def test_sharegpt_dataset_type_is_an_error_at_a_pinned_axolotl_that_refuses_it() -> None:
    text = AXOLOTL_SHAREGPT.replace("TYPE", "sharegpt")
    assert _sharegpt(text, {"axolotl": "0.5.0"}) == [
        ("error", 7, SHAREGPT_MESSAGE + " (axolotl 0.5.0 pinned in settings)", False)
    ]


def test_sharegpt_dataset_type_at_an_assumed_version_is_a_warning_that_says_so() -> None:
    text = AXOLOTL_SHAREGPT.replace("TYPE", "sharegpt:chat")
    [(severity, line, message, fixed)] = _sharegpt(text, {})
    assert (severity, line, fixed) == ("warning", 7, False)
    assert message.startswith("`type: sharegpt:chat` was removed in axolotl 0.5.0")
    assert "(assuming axolotl " in message


def test_sharegpt_is_silent_before_0_5_and_for_chat_template() -> None:
    assert _sharegpt(AXOLOTL_SHAREGPT.replace("TYPE", "sharegpt"), {"axolotl": "0.4.1"}) == []
    assert _sharegpt(AXOLOTL_SHAREGPT.replace("TYPE", "chat_template"), {}) == []
