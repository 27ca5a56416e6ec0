"""The option-table API rules and completion use: lookup, unknown keys with did-you-mean,
renamed/removed by version, value checks, completion keys and hover text."""

from __future__ import annotations

import subprocess
import sys

from tunelint.knowledge.option_types import accepted_kinds
from tunelint.knowledge.options import (
    KeyProblem,
    check_value,
    hover_text,
    keys,
    lookup,
    required_version,
    unknown_keys,
)


def _kinds(problems: list[KeyProblem]) -> list[tuple[str, str, str, str | None]]:
    return [(p.key, p.kind, p.severity, p.suggestion) for p in problems]


def test_typo_gets_did_you_mean_with_the_frameworks_severity() -> None:
    # TrlParser refuses keys no dataclass takes: error. axolotl's pydantic model ignores
    # them (extra="ignore"): warning.
    assert _kinds(unknown_keys("trl", ["gradient_acumulation_steps"])) == [
        ("gradient_acumulation_steps", "unknown", "error", "gradient_accumulation_steps")
    ]
    problems = unknown_keys("axolotl", ["gradient_acumulation_steps", "lora_r", "base_model"])
    assert _kinds(problems) == [
        ("gradient_acumulation_steps", "unknown", "warning", "gradient_accumulation_steps")
    ]
    assert problems[0].unambiguous
    assert "did you mean `gradient_accumulation_steps`?" in problems[0].message


def test_unknown_key_without_a_close_match_has_no_suggestion() -> None:
    (problem,) = unknown_keys("axolotl", ["completely_made_up_option"])
    assert (problem.kind, problem.suggestion, problem.unambiguous) == ("unknown", None, False)


def test_a_release_newer_than_the_tables_may_know_the_key() -> None:
    (known,) = unknown_keys("trl", ["brand_new_option"], "1.16.0")
    (beyond,) = unknown_keys("trl", ["brand_new_option"], "9.0")
    assert (known.severity, beyond.severity) == ("error", "warning")
    assert "the tables know trl up to 1.16.0" in beyond.message


def test_renamed_key_depends_on_the_version() -> None:
    """TRL deprecated `max_seq_length` (use `max_length`) and removed it in 0.20.0."""
    assert _kinds(unknown_keys("trl", ["max_seq_length"], "0.18")) == [
        ("max_seq_length", "deprecated", "warning", "max_length")
    ]
    assert _kinds(unknown_keys("trl", ["max_seq_length"], "0.20.0")) == [
        ("max_seq_length", "removed", "error", "max_length")
    ]
    assert _kinds(unknown_keys("trl", ["max_seq_length"])) == [
        ("max_seq_length", "removed", "error", "max_length")
    ]
    assert unknown_keys("trl", ["max_length"], "0.20.0") == []
    assert lookup("trl", "max_seq_length", "0.19.1").removed == "0.20.0"  # type: ignore[union-attr]


def test_key_added_later_is_unknown_to_an_older_release() -> None:
    info = lookup("trl", "dtype", section="ModelConfig")
    assert info is not None and info.added == "0.24.0"
    assert _kinds(unknown_keys("trl", ["dtype"], "0.20", section="ModelConfig")) == [
        ("dtype", "not-yet", "error", None)
    ]
    assert unknown_keys("trl", ["dtype"], "0.24", section="ModelConfig") == []


def test_trl_script_sections_include_transformers_at_its_own_version() -> None:
    """`trl sft` parses ScriptArguments + SFTConfig (a TrainingArguments) + ModelConfig."""
    assert lookup("trl", "dataset_name") is not None  # ScriptArguments
    assert lookup("trl", "lora_r") is not None  # ModelConfig
    assert lookup("trl", "per_device_train_batch_size") is not None  # transformers
    old = unknown_keys("trl", ["evaluation_strategy"], related={"transformers": "4.46.3"})
    assert _kinds(old) == [("evaluation_strategy", "deprecated", "warning", "eval_strategy")]
    new = unknown_keys("trl", ["evaluation_strategy"], related={"transformers": "5.0"})
    assert _kinds(new) == [("evaluation_strategy", "removed", "error", "eval_strategy")]
    assert "between 4.46.3 and 4.56.2" in new[0].message


def test_transformers_version_follows_what_the_trl_release_requires() -> None:
    """TRL 0.12's wheel requires transformers<4.47: `evaluation_strategy` still works there
    (deprecated). On the newest TRL (transformers>=4.56.2) it is gone, but the transformers
    version is then picked from a range, so the finding is a warning, not an error."""
    assert required_version("trl", "0.12", "transformers") == ("4.46.3", True)
    assert required_version("axolotl", None, "transformers") == ("5.20.1", False)  # ==5.20.1
    old = unknown_keys("trl", ["evaluation_strategy"], "0.12")
    assert _kinds(old) == [("evaluation_strategy", "deprecated", "warning", "eval_strategy")]
    new = unknown_keys("trl", ["evaluation_strategy"], "1.16")
    assert _kinds(new) == [("evaluation_strategy", "removed", "warning", "eval_strategy")]
    stated = unknown_keys("trl", ["evaluation_strategy"], "1.16", related={"transformers": "5.0"})
    assert _kinds(stated) == [("evaluation_strategy", "removed", "error", "eval_strategy")]


def test_nested_paths_find_their_section() -> None:
    """DeepSpeed's ZeRO sections are pydantic models with extra="forbid": an unknown key
    there is refused; the top level is a dict DeepSpeed reads keys from (ignored: warning)."""
    problems = unknown_keys(
        "deepspeed",
        [
            "zero_optimization.stage",
            "zero_optimization.offload_optimizer.devic",
            "train_micro_batch_size_per_gpu",
            "train_micro_batch_size_per_gp",
        ],
    )
    assert _kinds(problems) == [
        ("zero_optimization.offload_optimizer.devic", "unknown", "error", "device"),
        ("train_micro_batch_size_per_gp", "unknown", "warning", "train_micro_batch_size_per_gpu"),
    ]
    dep = unknown_keys("deepspeed", [("zero_optimization", "cpu_offload")])
    assert _kinds(dep) == [
        ("zero_optimization.cpu_offload", "deprecated", "warning", "offload_optimizer")
    ]


def test_deepspeed_auto_placeholder_and_nested_dict_sections() -> None:
    """ "auto" is filled in by the HF Trainer/accelerate before DeepSpeed reads the file."""
    values = {"fp16.enabled": "auto", "zero_optimization.reduce_bucket_size": "auto"}
    assert unknown_keys("deepspeed", list(values), values=values) == []
    wrong = {"fp16.enabled": "yes please"}
    assert _kinds(unknown_keys("deepspeed", list(wrong), values=wrong)) == [
        ("fp16.enabled", "bad-type", "error", None)
    ]
    # Read as get_scalar_param(param_dict[TORCH_AUTOCAST], TORCH_AUTOCAST_ENABLED, ...).
    assert lookup("deepspeed", "torch_autocast.enabled") is not None
    # Inside a free-form value (optimizer params) nothing is judged.
    assert unknown_keys("deepspeed", ["optimizer.params.lr", "optimizer.params.betas"]) == []


def test_accelerate_top_level_refused_plugin_keys_ignored() -> None:
    problems = unknown_keys("accelerate", ["distributed_typ", "fsdp_config.fsdp_sharding_strateg"])
    assert _kinds(problems) == [
        ("distributed_typ", "unknown", "error", "distributed_type"),
        ("fsdp_config.fsdp_sharding_strateg", "unknown", "warning", "fsdp_sharding_strategy"),
    ]


def test_llamafactory_train_takes_its_dataclasses_and_seq2seq_arguments() -> None:
    written = ["model_name_or_path", "finetuning_type", "lora_rank", "predict_with_generate"]
    assert unknown_keys("llamafactory", written) == []
    assert _kinds(unknown_keys("llamafactory", ["lora_rnk"])) == [
        ("lora_rnk", "unknown", "error", "lora_rank")
    ]


def test_axolotl_nested_models_list_items_and_alias_choices() -> None:
    """`datasets: list[SFTDataset | DPODataset | ...]` and `fsdp_config: FSDPConfig` are
    sections; list indices in a path are skipped; AliasChoices names are all taken."""
    written = [
        "datasets.0.path",
        "datasets.1.type",
        "fsdp_config.version",
        "fsdp_config.fsdp_version",
    ]
    assert unknown_keys("axolotl", written) == []
    assert _kinds(unknown_keys("axolotl", [("datasets", 0, "typ")])) == [
        ("datasets.0.typ", "unknown", "warning", "type")
    ]
    # DeepSpeed's DeepSpeedConfigModel populates by name: alias and field name both work.
    both = ["zero_optimization.stage3_gather_16bit_weights_on_model_save"]
    both.append("zero_optimization.gather_16bit_weights_on_model_save")
    assert unknown_keys("deepspeed", both) == []


def test_axolotl_plugin_keys_count_when_the_plugin_is_listed() -> None:
    plugin = "plugin:axolotl.integrations.liger"
    assert _kinds(unknown_keys("axolotl", ["liger_rms_norm"])) == [
        ("liger_rms_norm", "unknown", "warning", None)
    ]
    assert unknown_keys("axolotl", ["liger_rms_norm", "lora_r"], also=[plugin]) == []
    typo = unknown_keys("axolotl", ["liger_rms_norn"], also=[plugin])
    assert _kinds(typo) == [("liger_rms_norn", "unknown", "warning", "liger_rms_norm")]


def test_torchtune_keys_any_recipe_reads() -> None:
    assert unknown_keys("torchtune", ["batch_size", "gradient_accumulation_steps"]) == []
    # Read as cfg.get(PROFILER_KEY): the constant's value comes from torchtune.training.
    assert unknown_keys("torchtune", ["profiler", "early_exit_loss"]) == []
    assert _kinds(unknown_keys("torchtune", ["gradient_accumulation_step"])) == [
        ("gradient_accumulation_step", "unknown", "warning", "gradient_accumulation_steps")
    ]


def test_values_enum_and_type() -> None:
    values = {"rl": "dpoo", "lora_r": "sixteen", "learning_rate": 2e-5, "micro_batch_size": "2"}
    problems = unknown_keys("axolotl", list(values), values=values)
    assert _kinds(problems) == [
        ("rl", "bad-value", "error", "dpo"),
        ("lora_r", "bad-type", "error", None),
    ]
    # An Enum transformers converts the value to in __post_init__ (raises): error.
    (bad,) = unknown_keys("transformers", ["eval_strategy"], values={"eval_strategy": "step"})
    assert (bad.kind, bad.severity, bad.suggestion) == ("bad-value", "error", "steps")
    # A dataclass field HfArgumentParser passes on unchecked: info only (frameworks write
    # off-type values themselves, e.g. accelerate's `downcast_bf16: 'no'`).
    info = lookup("transformers", "learning_rate")
    assert info is not None
    found = check_value(info, "2e-5", validation="dataclass")
    assert found is not None and (found.kind, found.severity) == ("bad-type", "info")
    # `Literal["auto"] | bool`: a bool is no bad choice; another string is.
    tf32 = lookup("axolotl", "tf32")
    assert tf32 is not None and tf32.choices == ("auto",)
    assert check_value(tf32, True, validation="pydantic") is None
    wrong = check_value(tf32, "always", validation="pydantic")
    assert wrong is not None and (wrong.kind, wrong.severity) == ("bad-value", "error")
    assert check_value(info, 2e-5, validation="dataclass") is None


def test_accepted_kinds_reads_annotations() -> None:
    assert accepted_kinds("Optional[int]") == {"int", "null"}
    assert accepted_kinds("int | float | None") == {"int", "float", "null"}
    assert accepted_kinds("list[str] | str | None") == {"list", "str", "null"}
    assert accepted_kinds("Literal['a', 'b'] | None") == {"str", "null"}
    assert accepted_kinds("Union[IntervalStrategy, str]") is None
    assert accepted_kinds("Any") is None
    assert accepted_kinds("(int | float) | None") == {"int", "float", "null"}
    assert accepted_kinds("(list[str] | str) | None") == {"list", "str", "null"}
    assert accepted_kinds("(int) | (str)") == {"int", "str"}
    assert accepted_kinds("(str | SomeEnum) | None") is None


def test_completion_keys_and_hover() -> None:
    at_old = keys("trl", "0.19.1", related={"transformers": "4.46.3"})
    at_new = keys("trl")
    assert "max_seq_length" in at_old and "max_seq_length" not in at_new
    assert "evaluation_strategy" in at_old and "evaluation_strategy" not in at_new
    assert "max_length" in at_new and "learning_rate" in at_new
    info = lookup("trl", "max_seq_length", "0.19")
    assert info is not None
    text = hover_text(info)
    assert text.startswith("**max_seq_length** `Optional[int]`")
    assert "removed after 0.19.1 (gone in 0.20.0)" in text
    assert "use `max_length` instead" in text
    rl = lookup("axolotl", "rl")
    assert rl is not None and "Allowed: `dpo`" in hover_text(rl)


def test_tables_load_lazily_and_import_no_ml_stack() -> None:
    code = (
        "import sys, tunelint.knowledge.options as o\n"
        "assert o.table.cache_info().currsize == 0\n"
        "o.unknown_keys('axolotl', ['lora_r'])\n"
        "print(o.table.cache_info().currsize)\n"
        "print(sorted(m for m in ('torch', 'transformers', 'trl', 'peft') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["1", "[]"]


def test_accelerate_plugin_dicts_take_keys_without_their_launch_prefix() -> None:
    """`accelerate launch` prefixes fp8_/fsdp_/dynamo_ onto the keys of those dicts before
    matching its arguments (commands/launch.py): `amax_history_len` is fp8_config's key."""
    from tunelint.knowledge.options import unknown_keys

    written = [("fp8_config", "amax_history_len"), ("fp8_config", "amax_history_lenn")]
    problems = unknown_keys("accelerate", written)
    assert [(p.key, p.suggestion) for p in problems] == [
        ("fp8_config.amax_history_lenn", "amax_history_len")
    ]
