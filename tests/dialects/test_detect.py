"""Dialect detection: each format is recognised from its content, unrelated YAML/JSON is never
treated as a config, settings can force a format per glob, and `tunelint detect` reports it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tunelint.commands.detect import detect_file
from tunelint.config.detect import detect_dialect
from tunelint.config.dialects import DIALECTS, MIN_CONFIDENCE, get_dialect
from tunelint.config.document import parse_document
from tunelint.config.settings import Settings, clear_settings_cache
from tunelint.lint import LintOptions, lint_file

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = REPO / "examples" / "dialects"
UNRELATED = ["k8s-deployment.yaml", "github-workflow.yml", "docker-compose.yml", "package.json"]
EXPECTED_EXAMPLES = {
    "axolotl/qlora.yml": "axolotl",
    "deepspeed/zero2.json": "deepspeed",
    "accelerate/fsdp.yaml": "accelerate",
    "llamafactory/llama3_lora_ppo.yaml": "llamafactory",
    "trl/sft_qlora.yaml": "trl",
    "torchtune/lora_dpo.yaml": "torchtune",
}


@pytest.mark.parametrize("name", UNRELATED)
def test_unrelated_files_are_no_dialect(name: str) -> None:
    path = FIXTURES / name
    doc = parse_document(path.read_text(encoding="utf-8"), str(path))
    assert doc.errors == [] and doc.root is not None
    assert len(DIALECTS) == 8
    for dialect in DIALECTS:
        assert dialect.detect(doc) < MIN_CONFIDENCE, dialect.name
    assert detect_dialect(doc).dialect is None


@pytest.mark.parametrize("name", UNRELATED)
def test_unrelated_files_get_no_findings(name: str) -> None:
    result = lint_file(FIXTURES / name, LintOptions(settings=Settings(), gpu="A100-80GB"))
    assert result.dialect is None
    assert result.diagnostics == []


@pytest.mark.parametrize("relative, expected", sorted(EXPECTED_EXAMPLES.items()))
def test_examples_detected(relative: str, expected: str) -> None:
    path = EXAMPLES / relative
    doc = parse_document(path.read_text(encoding="utf-8"), str(path))
    detection = detect_dialect(doc)
    assert detection.name == expected
    assert detection.confidence >= 0.9
    # No other dialect comes close: the choice does not hinge on list order.
    others = [d.detect(doc) for d in DIALECTS if d.name != expected]
    assert max(others) < MIN_CONFIDENCE


def test_detection_does_not_depend_on_the_file_name() -> None:
    text = (EXAMPLES / "axolotl" / "qlora.yml").read_text(encoding="utf-8")
    assert detect_dialect(parse_document(text, "whatever.yaml")).name == "axolotl"
    ds = (EXAMPLES / "deepspeed" / "zero2.json").read_text(encoding="utf-8")
    assert detect_dialect(parse_document(ds, "settings.json")).name == "deepspeed"


def test_trl_method_from_path_and_keys() -> None:
    text = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: trl-lib/ultrafeedback\n"
    dpo = lint_file_text(text, "recipes/zephyr/dpo/config_full.yaml")
    assert dpo.plan is not None and dpo.plan.method.kind == "dpo"
    sft = lint_file_text(text, "configs/run.yaml")
    assert sft.plan is not None and sft.plan.method.kind == "sft"
    grpo = lint_file_text(text + "num_generations: 4\n", "configs/run.yaml")
    assert grpo.plan is not None and grpo.plan.method.kind == "grpo"


def lint_file_text(text: str, name: str):
    from tunelint.lint import lint_text

    return lint_text(text, name, LintOptions(settings=Settings()))


def test_settings_force_a_dialect_per_glob(tmp_path: Path) -> None:
    # A TRL config without its usual keys: too little to detect on its own.
    config = tmp_path / "configs" / "special-run.yaml"
    config.parent.mkdir()
    config.write_text("learning_rate: 1.0e-5\nnum_train_epochs: 1\n", encoding="utf-8")
    clear_settings_cache()
    assert detect_file(str(config))["dialect"] is None
    (tmp_path / "tunelint.toml").write_text(
        '[dialects]\n"configs/special-*.yaml" = "trl"\n', encoding="utf-8"
    )
    clear_settings_cache()
    try:
        assert detect_file(str(config)) == {
            "path": str(config),
            "dialect": "trl",
            "confidence": 1.0,
        }
        result = lint_file(config)  # settings found by walking up from the file
        assert result.dialect == "trl"
    finally:
        clear_settings_cache()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tunelint.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_detect_command_text() -> None:
    run = _cli("detect", "examples/dialects/axolotl/qlora.yml", str(FIXTURES / "package.json"))
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "examples/dialects/axolotl/qlora.yml: axolotl (0.98)"
    assert lines[1].endswith("package.json: none (0.00)")


def test_detect_command_json_over_a_folder() -> None:
    run = _cli("detect", "--format", "json", "examples/dialects", str(FIXTURES))
    assert run.returncode == 0, run.stderr
    items = json.loads(run.stdout)
    assert all(set(item) == {"path", "dialect", "confidence"} for item in items)
    found = {Path(item["path"]).name: item["dialect"] for item in items}
    for relative, expected in EXPECTED_EXAMPLES.items():
        assert found[Path(relative).name] == expected
    for name in UNRELATED:
        assert found[name] is None


def test_detect_command_missing_path() -> None:
    run = _cli("detect", "no/such/file.yaml")
    assert run.returncode == 2
    assert "no such file" in run.stderr


# A training script's own HfArgumentParser file (written like open-instruct's): TRL-like
# keys, but many that no TRL, transformers or accelerate release has.
OWN_PARSER = """\
model_name_or_path: meta-llama/Llama-2-7b-hf
tokenizer_name: meta-llama/Llama-2-7b-hf
use_slow_tokenizer: true
dataset_name: some/sft-mixture
max_seq_length: 4096
preprocessing_num_workers: 16
per_device_train_batch_size: 1
gradient_accumulation_steps: 16
learning_rate: 1.0e-04
num_train_epochs: 2
output_dir: output/run
with_tracking: true
checkpointing_steps: epoch
"""


def test_another_projects_parser_file_is_not_claimed_as_trl() -> None:
    doc = parse_document(OWN_PARSER, "finetune.yaml")
    assert detect_dialect(doc).dialect is None
    # The same file with two fields of a TRL recipe's own (a chat template, a mixture)
    # instead is TRL's: a small share of its keys are not TRL's.
    recipe = "\n".join(
        line
        for line in OWN_PARSER.splitlines()
        if not line.startswith(("tokenizer_name", "use_slow", "preprocessing", "with_", "checkp"))
    )
    recipe += "\nchat_template: '{{ messages }}'\ndataset_mixture: {datasets: []}\n"
    found = detect_dialect(parse_document(recipe, "config_sft.yaml"))
    assert found.name == "trl" and found.confidence >= 0.7


# LLaMA-Factory v1's schema (written like its examples/v1/*.yaml), with v0 names it shares.
V1_CONFIG = """\
model: Qwen/Qwen3-4B
model_class: llm
cutoff_len: 2048
pref_loss: sigmoid
pref_beta: 0.1
peft_config:
  name: lora
  r: 16
dist_config:
  name: fsdp2
train_dataset: data/v1_sft_demo.yaml
output_dir: ./outputs/test_lora
micro_batch_size: 1
learning_rate: 1.0e-4
"""


def test_llamafactory_v1_schema_is_read_by_the_v1_dialect_only() -> None:
    # v0's reader (`model_name_or_path`, `stage`, `finetuning_type`) never claims a v1 file,
    # whatever names they share; v1's own reader does (llamafactory_v1.py).
    v1 = parse_document(V1_CONFIG, "train_lora.yaml")
    assert detect_dialect(v1).name == "llamafactory-v1"
    assert get_dialect("llamafactory").detect(v1) == 0.0  # type: ignore[union-attr]
    v0 = V1_CONFIG.replace("model: ", "model_name_or_path: ").replace("model_class: llm\n", "")
    v0 = v0.replace("train_dataset", "dataset") + "stage: dpo\nfinetuning_type: lora\n"
    for block in ("peft_config", "dist_config"):
        v0 = v0.replace(f"{block}:\n", f"{block}_unused:\n")
    assert detect_dialect(parse_document(v0, "train_lora.yaml")).name == "llamafactory"


# A project's own nested training config (its own script reads it): not tunelint's format.
OWN_NESTED = """\
model:
  name: Qwen/Qwen2.5-0.5B-Instruct
  dtype: bfloat16
lora:
  r: 16
data:
  train: data/train.jsonl
training:
  per_device_train_batch_size: 4
  num_train_epochs: 2
"""
OWN_TRAINING_ARGS = OWN_NESTED.replace("lora:\n  r: 16\n", "")
NATIVE_BY_CONTENT = """\
model:
  name: Qwen/Qwen2.5-0.5B-Instruct
  max_seq_len: 2048
peft:
  kind: lora
training:
  micro_batch_size: 4
  learning_rate: 2.0e-4
"""


def test_native_by_content_only_in_the_plans_words() -> None:
    def native(text: str) -> float:
        return get_dialect("native").detect(parse_document(text, "config.yaml"))

    assert native(NATIVE_BY_CONTENT) == 0.9
    # A typo in a section name is still a native file (the schema then names the typo).
    assert native(NATIVE_BY_CONTENT.replace("peft:", "pfet:")) == 0.9
    assert native(OWN_NESTED) == 0.0  # `lora:` is no Plan section
    assert native(OWN_TRAINING_ARGS) == 0.0  # `training:` holds TrainingArguments' keys
    # Named or marked as tunelint's, the same text is read as native (and its keys judged).
    assert get_dialect("native").detect(parse_document(OWN_NESTED, "x.tune.yaml")) == 1.0
