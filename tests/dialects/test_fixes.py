"""Fixes rendered in each dialect's own keys: the exact text after the fix, and the file still
loads the way its trainer loads it, with every other key unchanged."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, fix_text, lint_text

# Syntax, unknown keys, wrong values, missing fields, duplicates, limits: none after a fix.
STRUCTURE = {"TL900", "TL901", "TL902", "TL903", "TL904", "TL905"}


@dataclass(frozen=True)
class FixCase:
    name: str
    filename: str
    code: str
    gpu: str | None
    before: str
    after: str
    # Keys (top level) the fix may change; every other key must load to the same value.
    changed: frozenset[str] = field(default_factory=frozenset)


CASES = [
    FixCase(
        "axolotl fp16 -> bf16 (the fp16 line becomes the bf16 line)",
        "lora.yml",
        "TL101",
        "A100-80GB",
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nmicro_batch_size: 2\n"
        "fp16: true\ntf32: false\n",
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nmicro_batch_size: 2\n"
        "bf16: true\ntf32: false\n",
        frozenset({"fp16", "bf16"}),
    ),
    FixCase(
        "axolotl fp16 -> bf16 with a bf16 key present (bf16 on, fp16 line removed)",
        "lora.yml",
        "TL101",
        "A100-80GB",
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nbf16: false\n"
        "fp16: true   # old habit\nlogging_steps: 1\n",
        "base_model: NousResearch/Llama-3.2-1B\nadapter: lora\nbf16: true\nlogging_steps: 1\n",
        frozenset({"fp16", "bf16"}),
    ),
    FixCase(
        "axolotl full fine-tune -> LoRA block",
        "fft.yml",
        "TL301",
        None,
        "base_model: NousResearch/Meta-Llama-3.1-8B\ndatasets:\n  - path: tatsu-lab/alpaca\n"
        "    type: alpaca\nbf16: auto\n",
        "base_model: NousResearch/Meta-Llama-3.1-8B\ndatasets:\n  - path: tatsu-lab/alpaca\n"
        "    type: alpaca\nbf16: auto\nadapter: lora\nlora_r: 16\nlora_alpha: 32\n"
        "lora_dropout: 0.05\nlora_target_linear: true\n",
        frozenset({"adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_linear"}),
    ),
    FixCase(
        "LLaMA-Factory RLHF under 80 GB: stage ppo -> dpo with the keys DPO needs",
        "llama3_lora_ppo.yaml",
        "TL201",
        "A10G",
        "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\n"
        "stage: ppo  # online RL\nreward_model: saves/llama3-8b/lora/reward\n"
        "finetuning_type: lora\ndataset: alpaca_en_demo\ntemplate: llama3\nbf16: true\n",
        "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\n"
        "stage: dpo  # online RL\npref_beta: 0.1\npref_loss: sigmoid\n"
        "finetuning_type: lora\ndataset: alpaca_en_demo\ntemplate: llama3\nbf16: true\n",
        frozenset({"stage", "reward_model", "pref_beta", "pref_loss"}),
    ),
    FixCase(
        "LLaMA-Factory fp16 -> bf16",
        "llama3_lora_sft.yaml",
        "TL101",
        "H100",
        "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\nstage: sft\n"
        "finetuning_type: lora\ndataset: identity\ntemplate: llama3\nfp16: true\n"
        "ddp_timeout: 180000000\n",
        "model_name_or_path: meta-llama/Meta-Llama-3-8B-Instruct\nstage: sft\n"
        "finetuning_type: lora\ndataset: identity\ntemplate: llama3\nbf16: true\n"
        "ddp_timeout: 180000000\n",
        frozenset({"fp16", "bf16"}),
    ),
    FixCase(
        "TRL torch_dtype -> dtype, in place",
        "sft.yaml",
        "TL510",
        None,
        "# Model arguments\nmodel_name_or_path: Qwen/Qwen2.5-0.5B\n"
        "torch_dtype: bfloat16  # weights\ndataset_name: trl-lib/Capybara\n",
        "# Model arguments\nmodel_name_or_path: Qwen/Qwen2.5-0.5B\n"
        "dtype: bfloat16  # weights\ndataset_name: trl-lib/Capybara\n",
        frozenset({"torch_dtype", "dtype"}),
    ),
    FixCase(
        "TRL fp16 -> bf16",
        "sft.yaml",
        "TL101",
        "L40S",
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: trl-lib/Capybara\nfp16: true\n"
        "use_peft: true\n",
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: trl-lib/Capybara\nbf16: true\n"
        "use_peft: true\n",
        frozenset({"fp16", "bf16"}),
    ),
    FixCase(
        "TRL trust_remote_code off",
        "sft.yaml",
        "TL601",
        None,
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ntrust_remote_code: true\n"
        "dataset_name: trl-lib/Capybara\n",
        "model_name_or_path: Qwen/Qwen2.5-0.5B\ntrust_remote_code: false\n"
        "dataset_name: trl-lib/Capybara\n",
        frozenset({"trust_remote_code"}),
    ),
    FixCase(
        "DeepSpeed fp16 -> bf16 (bf16 section added, fp16 disabled)",
        "ds_config.json",
        "TL101",
        "A100-80GB",
        '{\n  "zero_optimization": {"stage": 2},\n  "fp16": {\n    "enabled": true,\n'
        '    "loss_scale": 0\n  },\n  "train_micro_batch_size_per_gpu": "auto"\n}\n',
        '{\n  "zero_optimization": {"stage": 2},\n  "fp16": {\n    "enabled": false,\n'
        '    "loss_scale": 0\n  },\n  "train_micro_batch_size_per_gpu": "auto",\n'
        '  "bf16": {"enabled": true}\n}\n',
        frozenset({"fp16", "bf16"}),
    ),
    FixCase(
        "accelerate mixed_precision fp16 -> bf16",
        "accelerate_config.yaml",
        "TL101",
        "A100-80GB",
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\n"
        "mixed_precision: 'fp16'\nnum_processes: 2\n",
        "compute_environment: LOCAL_MACHINE\ndistributed_type: MULTI_GPU\n"
        "mixed_precision: bf16\nnum_processes: 2\n",
        frozenset({"mixed_precision"}),
    ),
    FixCase(
        "torchtune dtype fp32 -> bf16",
        "8B_lora_single_device.yaml",
        "TL104",
        "H100",
        "model:\n  _component_: torchtune.models.llama3_1.lora_llama3_1_8b\n  lora_rank: 8\n"
        "batch_size: 2\ndtype: fp32  # debugging\ndevice: cuda\n",
        "model:\n  _component_: torchtune.models.llama3_1.lora_llama3_1_8b\n  lora_rank: 8\n"
        "batch_size: 2\ndtype: bf16  # debugging\ndevice: cuda\n",
        frozenset({"dtype"}),
    ),
]


def _load(text: str, filename: str) -> dict[str, Any]:
    """The file as its trainer reads it: JSON, or YAML through PyYAML (axolotl, TRL...)."""
    data = json.loads(text) if filename.endswith(".json") else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_fix_text_and_reload(case: FixCase) -> None:
    options = LintOptions(settings=Settings(), gpu=case.gpu)
    before = lint_text(case.before, case.filename, options)
    assert case.code in {d.code for d in before.diagnostics}, before.diagnostics
    fixed = fix_text(case.before, case.filename, options, unsafe=True, codes={case.code})
    assert fixed.text == case.after
    assert fixed.applied >= 1
    # Still the same format, and the finding is gone.
    assert fixed.result.dialect == before.dialect
    assert case.code not in {d.code for d in fixed.result.diagnostics}
    assert [d for d in fixed.result.diagnostics if d.code in STRUCTURE] == []
    # Every key the fix did not touch loads to the same value.
    old, new = _load(case.before, case.filename), _load(case.after, case.filename)
    untouched = set(old) - case.changed
    assert {k: new.get(k) for k in untouched} == {k: old[k] for k in untouched}
    assert set(new) - set(old) <= case.changed


def test_fix_is_idempotent() -> None:
    case = CASES[0]
    options = LintOptions(settings=Settings(), gpu=case.gpu)
    once = fix_text(case.before, case.filename, options, unsafe=True)
    twice = fix_text(once.text, case.filename, options, unsafe=True)
    assert twice.text == once.text


def test_no_fix_where_the_dialect_cannot_express_it() -> None:
    """torchtune has no fp16; a TRL file cannot change its method (the command does)."""
    options = LintOptions(settings=Settings(), gpu="T4")
    torchtune = "model:\n  _component_: torchtune.models.llama3_1.lora_llama3_1_8b\ndtype: bf16\n"
    result = lint_text(torchtune, "lora.yaml", options)
    (bf16,) = [d for d in result.diagnostics if d.code == "TL102"]
    assert bf16.fix is None
    trl = "model_name_or_path: Qwen/Qwen2.5-7B\ndataset_name: d\nreward_model_path: rm\n"
    result = lint_text(trl, "ppo.yaml", LintOptions(settings=Settings(), gpu="A10G"))
    (rlhf,) = [d for d in result.diagnostics if d.code == "TL201"]
    assert rlhf.fix is None
