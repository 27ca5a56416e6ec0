"""Framework keys (TL510, TL920, TL921) from the option tables: a planted typo per dialect
fires with the right suggestion, its fix gives the exact text and the re-lint is clean;
renamed and removed keys follow the version the project pins; keys a framework ignores on
purpose (plugin keys, component kwargs, a script's own fields) are not flagged."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tunelint.config.settings import Settings
from tunelint.knowledge.options import table
from tunelint.lint import LintOptions, LintResult, fix_text, lint_text

OPTIONS = LintOptions(settings=Settings(), select=("TL510", "TL920", "TL921"))

AXOLOTL = """\
base_model: NousResearch/Meta-Llama-3-8B
adapter: lora
lora_r: 16
{typo}: 4
micro_batch_size: 2
datasets:
  - path: mhenrichsen/alpaca_2k_test
    type: alpaca
output_dir: ./outputs/lora
"""
LLAMAFACTORY = """\
model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct
stage: sft
do_train: true
finetuning_type: lora
lora_target: all
dataset: identity
template: llama3
cutoff_len: 2048
{typo}: 1
output_dir: saves/llama3-8b/lora/sft
"""
TRL = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
dataset_name: trl-lib/Capybara
learning_rate: 2.0e-5
{typo}: 8
output_dir: Qwen2.5-0.5B-SFT
"""
TORCHTUNE = """\
# tune run lora_finetune_single_device --config llama3_2/1B_lora_single_device
model:
  _component_: torchtune.models.llama3_2.lora_llama3_2_1b
  lora_rank: 64
tokenizer:
  _component_: torchtune.models.llama3.llama3_tokenizer
  path: /tmp/Llama-3.2-1B-Instruct/original/tokenizer.model
dataset:
  _component_: torchtune.datasets.alpaca_cleaned_dataset
optimizer:
  _component_: torch.optim.AdamW
  lr: 3e-4
batch_size: 4
epochs: 1
{typo}: 8
dtype: bf16
"""
DEEPSPEED = """\
{{
  "{typo}": "auto",
  "gradient_accumulation_steps": "auto",
  "zero_optimization": {{"stage": 2, "overlap_comm": true}},
  "bf16": {{"enabled": "auto"}}
}}
"""
ACCELERATE = """\
compute_environment: LOCAL_MACHINE
distributed_type: MULTI_GPU
machine_rank: 0
{typo}: bf16
num_machines: 1
num_processes: 8
"""

# (dialect, file name, template, the typo, the key it means, the rename's safety: unsafe
# where another reader may declare the key: a script's own parser, a torchtune recipe)
PLANTED = [
    (
        "axolotl",
        "lora.yml",
        AXOLOTL,
        "gradient_acumulation_steps",
        "gradient_accumulation_steps",
        "safe",
    ),
    (
        "llamafactory",
        "llama3_lora_sft.yaml",
        LLAMAFACTORY,
        "per_device_train_bach_size",
        "per_device_train_batch_size",
        "safe",
    ),
    (
        "trl",
        "sft_config.yaml",
        TRL,
        "gradient_acumulation_steps",
        "gradient_accumulation_steps",
        "unsafe",
    ),
    (
        "torchtune",
        "1B_lora.yaml",
        TORCHTUNE,
        "gradient_accumulaton_steps",
        "gradient_accumulation_steps",
        "unsafe",
    ),
    (
        "deepspeed",
        "ds_zero2.json",
        DEEPSPEED,
        "train_micro_bach_size_per_gpu",
        "train_micro_batch_size_per_gpu",
        "unsafe",
    ),
    (
        "accelerate",
        "accelerate_config.yaml",
        ACCELERATE,
        "mixed_precison",
        "mixed_precision",
        "safe",
    ),
]


def _codes(result: LintResult) -> list[tuple[str, int, str]]:
    return [(d.code, d.range.start.line + 1, d.severity) for d in result.diagnostics]


@pytest.mark.parametrize(
    "dialect,name,template,typo,meant,safety", PLANTED, ids=[p[0] for p in PLANTED]
)
def test_planted_typo_fires_fixes_and_relints_clean(
    dialect: str, name: str, template: str, typo: str, meant: str, safety: str
) -> None:
    text = template.format(typo=typo)
    clean = template.format(typo=meant)
    result = lint_text(text, name, OPTIONS)
    assert result.dialect == dialect
    line = next(i for i, t in enumerate(text.splitlines(), 1) if typo in t)
    found = [d for d in result.diagnostics if d.code == "TL920"]
    assert [(d.range.start.line + 1, d.severity) for d in found] == [(line, "warning")]
    assert f"did you mean `{meant}`?" in found[0].message
    assert "the newest known: pin it in [tool.tunelint.versions])" in found[0].message
    assert found[0].fix is not None and found[0].fix.applicability == safety
    fixed = fix_text(text, name, OPTIONS, unsafe=safety == "unsafe", codes={"TL920"})
    assert fixed.text == clean
    assert _codes(lint_text(fixed.text, name, OPTIONS)) == []


def test_typo_in_a_pydantic_section_under_open_top_level_keys() -> None:
    # DeepSpeed ignores unknown top-level keys (scripts may read them), but its pydantic
    # `zero_optimization` refuses them: a near key there is flagged, even a distant one.
    text = DEEPSPEED.format(typo="train_micro_batch_size_per_gpu").replace(
        '"overlap_comm"', '"overlap_com"'
    )
    result = lint_text(text + "", "ds.json", OPTIONS)
    assert [(d.code, d.range.start.line + 1) for d in result.diagnostics] == [("TL920", 4)]
    assert "did you mean `overlap_comm`?" in result.diagnostics[0].message
    text = DEEPSPEED.format(typo="my_script_setting")
    assert _codes(lint_text(text, "ds.json", OPTIONS)) == []


def test_keys_a_framework_takes_on_purpose_are_not_flagged() -> None:
    # axolotl: a listed plugin's keys; `strict` (a CLI-override switch) is a key of its own.
    plugin = AXOLOTL.format(typo="gradient_accumulation_steps") + (
        "strict: false\nplugins:\n  - axolotl.integrations.liger.LigerPlugin\nliger_rope: true\n"
    )
    assert _codes(lint_text(plugin, "lora.yml", OPTIONS)) == []
    # Without the plugin, axolotl drops `liger_rope` with no word: flagged.
    alone = AXOLOTL.format(typo="gradient_accumulation_steps") + "liger_rope: true\n"
    assert [c[0] for c in _codes(lint_text(alone, "lora.yml", OPTIONS))] == ["TL920"]
    # A plugin tunelint has no table for may take any key.
    foreign = alone + "plugins:\n  - my_org.plugins.MyPlugin\n"
    assert _codes(lint_text(foreign, "lora.yml", OPTIONS)) == []
    # torchtune: keys under a `_component_` are that component's kwargs, not judged.
    tune = TORCHTUNE.format(typo="gradient_accumulation_steps").replace(
        "lora_rank: 64", "lora_rnk: 64"
    )
    assert _codes(lint_text(tune, "1B_lora.yaml", OPTIONS)) == []
    # TRL: a field of the script's own HfArgumentParser dataclass (no near TRL key), and
    # an `accelerate launch` argument the `trl` CLI passes on.
    own = TRL.format(typo="gradient_accumulation_steps") + (
        "reward_funcs_registry: my_rewards\nnum_processes: 8\naccelerate_config: zero2\n"
    )
    assert _codes(lint_text(own, "sft_config.yaml", OPTIONS)) == []


def test_llamafactory_megatron_path_keys_are_not_judged() -> None:
    # With Megatron's parallelism keys, LLaMA-Factory parses the file with mcore_adapter's
    # arguments (no table): its other keys are not flagged, a near-certain typo still is.
    text = LLAMAFACTORY.format(typo="per_device_train_batch_size") + (
        "tensor_model_parallel_size: 2\nmoe_grouped_gemm: true\n"
    )
    assert _codes(lint_text(text, "qwen3_moe_full.yaml", OPTIONS)) == []
    typo = text.replace("cutoff_len", "cutof_len")
    assert [c[0] for c in _codes(lint_text(typo, "qwen3_moe_full.yaml", OPTIONS))] == ["TL920"]
    # Without them, the same key is one LLaMA-Factory's own parser refuses.
    alone = LLAMAFACTORY.format(typo="moe_grouped_gemm")
    assert [c[0] for c in _codes(lint_text(alone, "qwen3_moe_full.yaml", OPTIONS))] == ["TL920"]


def test_axolotl_reads_the_fsdp_prefix_as_deprecated() -> None:
    text = AXOLOTL.format(typo="gradient_accumulation_steps") + (
        "fsdp_version: 2\nfsdp_config:\n  fsdp_offload_params: false\n"
        "  fsdp_reshard_after_forward: true\n"
    )
    result = lint_text(text, "lora.yml", OPTIONS)
    assert [(d.code, d.range.start.line + 1, d.severity) for d in result.diagnostics] == [
        ("TL510", 12, "info"),
        ("TL510", 13, "info"),
    ]
    assert "reads `fsdp_offload_params` as `offload_params`" in result.diagnostics[0].message
    fixed = fix_text(text, "lora.yml", OPTIONS, codes={"TL510"})
    assert fixed.text.endswith(
        "fsdp_config:\n  offload_params: false\n  reshard_after_forward: true\n"
    )
    assert _codes(fixed.result) == []


def test_bad_enum_value_with_its_fix() -> None:
    text = TRL.format(typo="lr_scheduler_type").replace(": 8", ": cosine_with_restart")
    result = lint_text(text, "sft_config.yaml", OPTIONS)
    assert [(d.code, d.range.start.line + 1) for d in result.diagnostics] == [("TL921", 4)]
    assert "did you mean `cosine_with_restarts`?" in result.diagnostics[0].message
    fixed = fix_text(text, "sft_config.yaml", OPTIONS, unsafe=True, codes={"TL921"})
    assert "lr_scheduler_type: cosine_with_restarts\n" in fixed.text
    assert _codes(fixed.result) == []
    # DeepSpeed's "auto" placeholders are values the launcher fills in: accepted.
    assert _codes(lint_text(DEEPSPEED.format(typo="train_batch_size"), "ds.json", OPTIONS)) == []


# -- versions ---------------------------------------------------------------------------

SFT_OLD = """\
model_name_or_path: Qwen/Qwen2.5-0.5B
dataset_name: trl-lib/Capybara
max_seq_length: 2048
output_dir: out
"""


def _project(tmp_path: Path, requirements: str | None, text: str = SFT_OLD) -> LintResult:
    tmp_path.mkdir(parents=True, exist_ok=True)
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements, encoding="utf-8")
    config = tmp_path / "recipes" / "sft_config.yaml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text, encoding="utf-8")
    return lint_text(text, config, OPTIONS)


def test_a_key_valid_in_the_pinned_version_is_not_flagged(tmp_path: Path) -> None:
    result = _project(tmp_path, "trl==0.18.2\ntransformers==4.52.4\n")
    # TRL 0.18 still takes `max_seq_length` (deprecated since 0.16: advice only).
    assert [(d.code, d.severity) for d in result.diagnostics] == [("TL510", "info")]
    assert "deprecated since trl 0.16.1" in result.diagnostics[0].message


def test_a_key_removed_in_the_pinned_version_is_an_error(tmp_path: Path) -> None:
    result = _project(tmp_path, "trl==0.20.0\n")
    assert [(d.code, d.range.start.line + 1, d.severity) for d in result.diagnostics] == [
        ("TL510", 3, "error")
    ]
    message = result.diagnostics[0].message
    assert "removed from trl between 0.19.1 and 0.20.0" in message
    assert "use `max_length`" in message and "trl 0.20.0 pinned in requirements.txt" in message
    fixed = fix_text(SFT_OLD, tmp_path / "recipes" / "sft_config.yaml", OPTIONS, codes={"TL510"})
    assert "max_length: 2048\n" in fixed.text and "max_seq_length" not in fixed.text


def test_an_assumed_version_gives_a_warning_that_says_so(tmp_path: Path) -> None:
    newest = _project(tmp_path, None)
    assert [(d.code, d.severity) for d in newest.diagnostics] == [("TL510", "warning")]
    newest_trl = table("trl").newest
    assert f"(assuming trl {newest_trl}, the newest known: pin it in [tool.tunelint.versions])" in (
        newest.diagnostics[0].message
    )
    ranged = _project(tmp_path / "ranged", "trl>=0.20,<0.21\n")
    assert [(d.code, d.severity) for d in ranged.diagnostics] == [("TL510", "warning")]
    assert "(assuming trl 0.20.0 from the range in requirements.txt)" in (
        ranged.diagnostics[0].message
    )


def test_settings_pin_wins_and_a_key_removed_long_ago_is_still_known(tmp_path: Path) -> None:
    # `dataset_batch_size` left SFTConfig in 0.19: newer tables only know it as removed.
    # (No `dataset_name`: the table lacks TRL 0.12's ScriptArguments, then in trl/utils.py.)
    text = SFT_OLD.replace("max_seq_length: 2048", "dataset_batch_size: 1000").replace(
        "dataset_name: trl-lib/Capybara\n", "use_peft: true\n"
    )
    config = tmp_path / "sft_config.yaml"
    config.write_text(text, encoding="utf-8")
    options = replace(OPTIONS, settings=Settings(versions={"trl": "0.24"}))
    result = lint_text(text, config, options)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("TL510", "error")]
    assert "`dataset_batch_size` was removed from trl" in result.diagnostics[0].message
    # The same key at a version that has it: nothing to say.
    older = replace(OPTIONS, settings=Settings(versions={"trl": "0.12.2"}))
    assert lint_text(text, config, older).diagnostics == []


def test_a_key_not_yet_in_the_pinned_version(tmp_path: Path) -> None:
    # SFTConfig took `max_seq_length` in 0.12; `max_length` came in 0.16.
    text = SFT_OLD.replace("max_seq_length", "max_length").replace(
        "dataset_name: trl-lib/Capybara\n", "use_peft: true\n"
    )
    result = _project(tmp_path, "trl==0.12.2\n", text)
    assert [(d.code, d.range.start.line + 1, d.severity) for d in result.diagnostics] == [
        ("TL510", 3, "error")
    ]
    assert "`max_length` was added in trl 0.16.1" in result.diagnostics[0].message


def test_a_refused_key_is_an_error_only_at_a_pinned_version(tmp_path: Path) -> None:
    # LLaMA-Factory's HfArgumentParser refuses unknown keys: an error once pinned...
    text = LLAMAFACTORY.format(typo="per_device_train_bach_size")
    pinned = tmp_path / "pinned"
    pinned.mkdir()
    (pinned / "requirements.txt").write_text("llamafactory==0.9.4\n", encoding="utf-8")
    (pinned / "sft.yaml").write_text(text, encoding="utf-8")
    result = lint_text(text, pinned / "sft.yaml", OPTIONS)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("TL920", "error")]
    assert "llamafactory 0.9.4 pinned in requirements.txt" in result.diagnostics[0].message
    # ...and a warning while the version is assumed. axolotl drops unknown keys: a warning
    # even when pinned.
    assert [(d.code, d.severity) for d in lint_text(text, "sft.yaml", OPTIONS).diagnostics] == [
        ("TL920", "warning")
    ]
    axolotl = AXOLOTL.format(typo="gradient_acumulation_steps")
    (pinned / "requirements.txt").write_text("axolotl==0.19.0\n", encoding="utf-8")
    (pinned / "lora.yml").write_text(axolotl, encoding="utf-8")
    found = lint_text(axolotl, pinned / "lora.yml", OPTIONS).diagnostics
    assert [(d.code, d.severity) for d in found] == [("TL920", "warning")]


def test_keys_judged_once_per_process_still_follow_each_files_version(tmp_path: Path) -> None:
    """Key verdicts are remembered across files (rules/keys.py `_JUDGED_KEYS`): the same key
    and value under another pinned version is judged again, and a remembered verdict is the
    one a fresh judgement gives."""
    from tunelint.checks.rules import keys

    def verdicts(result: LintResult) -> list[tuple[str, int, str, str]]:
        return [(d.code, d.range.start.line, d.severity, d.message) for d in result.diagnostics]

    keys._JUDGED_KEYS.clear()
    old = verdicts(_project(tmp_path / "old", "trl==0.18.2\ntransformers==4.52.4\n"))
    new = verdicts(_project(tmp_path / "new", "trl==0.20.0\n"))
    assert [v[:3] for v in old] == [("TL510", 2, "info")]
    assert [v[:3] for v in new] == [("TL510", 2, "error")]
    assert keys._JUDGED_KEYS  # both were remembered...
    again = verdicts(_project(tmp_path / "new2", "trl==0.20.0\n"))
    keys._JUDGED_KEYS.clear()
    fresh = verdicts(_project(tmp_path / "new3", "trl==0.20.0\n"))
    assert again == fresh == new  # ...and a remembered verdict is the fresh one
