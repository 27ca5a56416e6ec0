"""TRL files as user repositories write them (issue 14, trust): what the file does not say is
not claimed, and what decided a reading is the strongest evidence the file gives."""

from __future__ import annotations

from pathlib import Path

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


DPO_KEYS = """\
model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
beta: 0.001
max_prompt_length: 256
loss_type: sigmoid
use_liger: false
per_device_train_batch_size: 1
gradient_accumulation_steps: 1
"""


def test_the_files_own_name_beats_a_folder_name() -> None:
    result = _lint(DPO_KEYS, "GRPO_project/dpo_config.yaml")
    assert result.plan is not None and result.plan.method.kind == "dpo"
    assert result.context is not None
    assert result.context.facts.method_from == "dpo, from the file name `dpo_config.yaml`"
    assert "TL509" not in {d.code for d in result.diagnostics}


def test_the_nearest_folder_names_the_method_when_the_file_does_not() -> None:
    result = _lint(DPO_KEYS, "grpo_runs/dpo/config.yaml")
    assert result.plan is not None and result.plan.method.kind == "dpo"
    assert result.context is not None
    assert result.context.facts.method_from == "dpo, from the folder name `dpo`"


def test_a_key_only_one_trainer_has_beats_the_name() -> None:
    text = DPO_KEYS + "desirable_weight: 1.0\nundesirable_weight: 1.0\n"
    result = _lint(text, "recipes/dpo/sft_config.yaml")
    assert result.plan is not None and result.plan.method.kind == "kto"
    assert result.context is not None
    assert result.context.facts.method_from == (
        "kto, from `desirable_weight`, which only TRL's kto trainer has"
    )


def test_a_switched_off_key_does_not_name_the_method() -> None:
    # `use_liger` is SFTConfig's alone, but set to false it says nothing about the trainer.
    result = _lint(DPO_KEYS, "config.yaml")
    assert result.plan is not None and result.plan.method.kind == "dpo"
    assert result.context is not None
    assert result.context.facts.method_from == "dpo, from `beta`"


def test_grpo_divisibility_says_what_decided_the_method() -> None:
    text = "model_name_or_path: Qwen/Qwen2.5-0.5B\nper_device_train_batch_size: 1\n"
    text += "num_processes: 1\nscale_rewards: false\nvllm_max_model_len: 2048\n"
    result = _lint(text, "train.yaml")
    found = [d for d in result.diagnostics if d.code == "TL509"]
    assert [d.message for d in found] == [
        "the generation batch (1) is not divisible by num_generations (8); valid values: "
        "none: grow the batch (read as grpo, from `vllm_max_model_len`, which only TRL's grpo "
        "trainer has)"
    ]


def test_the_method_key_list_is_in_step_with_the_trl_option_table() -> None:
    from scripts.gen_trl_method_keys import OUT, render

    assert OUT.read_text(encoding="utf-8") == render()
    assert "kto desirable_weight\n" in render()


SFT_STRING_LR = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nlearning_rate: 8e-5\n"
TRL_PARSER_SCRIPT = """\
from trl import SFTConfig, TrlParser
parser = TrlParser((SFTConfig,))
(training_args,) = parser.parse_args_and_config()
"""
H4_SCRIPT = """\
from alignment import H4ArgumentParser
from trl import TrlParser  # imported, never called
parser = H4ArgumentParser((DPOConfig,))
"""


def _lint_file(path: Path) -> LintResult:
    return lint_text(path.read_text(), str(path), LintOptions(settings=Settings(), dialect="trl"))


def _tl511(result: LintResult) -> list[tuple[str, str]]:
    return [(d.severity, d.message) for d in result.diagnostics if d.code == "TL511"]


def test_a_trlparser_script_beside_the_config_converts_the_string(tmp_path: Path) -> None:
    (tmp_path / "sft.py").write_text(TRL_PARSER_SCRIPT)
    config = tmp_path / "sft_config.yaml"
    config.write_text(SFT_STRING_LR)
    result = _lint_file(config)
    assert result.context is not None and result.context.facts.loader == "pyyaml-argparse"
    assert _tl511(result) == []


def test_the_trl_cli_in_a_launch_script_converts_the_string(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "train.sh").write_text("accelerate launch -m trl sft --config x\n")
    (tmp_path / "recipes").mkdir()
    config = tmp_path / "recipes" / "sft.yaml"
    config.write_text(SFT_STRING_LR)
    assert _tl511(_lint_file(config)) == []


def test_an_h4_argument_parser_script_keeps_the_warning(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "run_dpo.py").write_text(H4_SCRIPT)
    (tmp_path / "configs").mkdir()
    config = tmp_path / "configs" / "dpo_config.yaml"
    config.write_text(SFT_STRING_LR)
    assert _tl511(_lint_file(config)) == [
        ("warning", "`8e-5` is the string '8e-5' to PyYAML (YAML 1.1): write 8.0e-5")
    ]


def test_handbooks_dataset_mixer_is_the_h4_argument_parser() -> None:
    text = SFT_STRING_LR.replace("dataset_name: x\n", "dataset_mixer:\n  HuggingFaceH4/x: 1.0\n")
    assert _tl511(_lint(text, "recipes/sft/config.yaml")) == [
        ("warning", "`8e-5` is the string '8e-5' to PyYAML (YAML 1.1): write 8.0e-5")
    ]


def test_an_unknown_loader_is_advice_that_names_the_assumption() -> None:
    assert _tl511(_lint(SFT_STRING_LR, "sft.yaml")) == [
        (
            "info",
            "`8e-5` is the string '8e-5' to PyYAML (YAML 1.1): write 8.0e-5 (assuming "
            "HfArgumentParser.parse_yaml_file loads the file; the `trl` CLI and TrlParser "
            "scripts convert such values)",
        )
    ]


def test_scripts_that_disagree_leave_the_loader_unknown(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sft.py").write_text(TRL_PARSER_SCRIPT)
    (tmp_path / "dpo.py").write_text(H4_SCRIPT)
    config = tmp_path / "sft_config.yaml"
    config.write_text(SFT_STRING_LR)
    result = _lint_file(config)
    assert result.context is not None
    assert result.context.facts.loader == "pyyaml"
    assert result.context.facts.loader_assumed is not None
    assert [severity for severity, _ in _tl511(result)] == ["info"]


# A full fine-tune loaded in 4 bits: fails where the script builds the model from the keys.
QUANTIZED_FULL = """\
model_name_or_path: Qwen/Qwen2.5-0.5B-Instruct
load_in_4bit: true
dataset_name: x
learning_rate: 2.0e-5
output_dir: out
"""
TRL_SCRIPT_WITH_MODEL_KEYS = """\
from trl import ModelConfig, SFTTrainer, TrlParser, get_peft_config, get_quantization_config
parser = TrlParser((ModelConfig,))
(model_args,) = parser.parse_args_and_config()
quantization_config = get_quantization_config(model_args)
"""
TRL_SCRIPT_NAME_ONLY = """\
from trl import ModelConfig, SFTTrainer, TrlParser
parser = TrlParser((ModelConfig,))
(model_args,) = parser.parse_args_and_config()
trainer = SFTTrainer(model=model_args.model_name_or_path)
"""


def _tl502(result: LintResult) -> list[tuple[str, str]]:
    return [(d.severity, d.message) for d in result.diagnostics if d.code == "TL502"]


def test_model_keys_are_certain_only_where_a_script_builds_the_model_from_them(
    tmp_path: Path,
) -> None:
    message = (
        "the base model is loaded in 4 bits but no adapter is trained: quantized weights "
        "cannot be fine-tuned (add a QLORA adapter)"
    )
    assumed = (
        " (assuming the script loads the model from the file's ModelConfig keys, as the `trl` "
        "CLI does)"
    )
    # A lone file: the `trl` CLI would apply the keys, a project's own script may not.
    assert _tl502(_lint(QUANTIZED_FULL, "sft.yaml")) == [("warning", message + assumed)]
    applied = tmp_path / "applied"
    applied.mkdir()
    (applied / ".git").mkdir()
    (applied / "sft.py").write_text(TRL_SCRIPT_WITH_MODEL_KEYS)
    (applied / "sft.yaml").write_text(QUANTIZED_FULL)
    assert _tl502(_lint_file(applied / "sft.yaml")) == [("error", message)]
    # The project's script passes the model name only: the keys may do nothing.
    ignored = tmp_path / "ignored"
    ignored.mkdir()
    (ignored / ".git").mkdir()
    (ignored / "sft.py").write_text(TRL_SCRIPT_NAME_ONLY)
    (ignored / "sft.yaml").write_text(QUANTIZED_FULL)
    assert _tl502(_lint_file(ignored / "sft.yaml")) == [("warning", message + assumed)]
