"""Where a rule applies is data on the rule, the engine filters on the file's facts, and a
finding that rests on an assumed fact is never an error (issue 14 items 2 and 4)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from tunelint.checks.registry import all_rules
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, lint_text

RULES = Path(__file__).resolve().parents[2] / "tunelint" / "checks" / "rules"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "rules.md"


def _codes(text: str, name: str, gpu: str | None = None, select: tuple[str, ...] = ()) -> dict:
    options = LintOptions(settings=Settings(), gpu=gpu, select=select)
    return {d.code: d for d in lint_text(text, name, options).diagnostics}


def test_no_rule_branches_on_a_dialect_or_trainer_name() -> None:
    sources = sorted(RULES.glob("*.py"))
    assert sources
    pattern = re.compile(r"\.dialect\b|facts\.trainer\b|facts\.loader\b|facts\.purpose\b")
    for source in sources:
        assert not pattern.search(source.read_text()), source.name


def test_yaml11_rule_only_where_a_pyyaml_loader_passes_strings_on() -> None:
    trl = "model_name_or_path: Qwen/Qwen2.5-0.5B\ndataset_name: x\nlearning_rate: 2e-5\n"
    assert "TL511" in _codes(trl, "sft.yaml", select=("TL511",))
    # LLaMA-Factory reads YAML with OmegaConf, whose loader reads 2e-5 as a float.
    factory = (
        "model_name_or_path: Qwen/Qwen2.5-0.5B\nstage: sft\nfinetuning_type: lora\n"
        "template: qwen\ndataset: x\ncutoff_len: 1024\nlearning_rate: 2e-5\n"
    )
    assert _codes(factory, "lf.yaml", select=("TL511",)) == {}


def test_ppo_removed_from_trl_only_where_trl_trains() -> None:
    native = "model:\n  name: x\nmethod:\n  kind: ppo\n  reward_model: r\n"
    assert "TL508" in _codes(native, "run.tune.yaml", select=("TL508",))
    # LLaMA-Factory runs PPO on the TRL it pins, with its own value-head trainer.
    factory = (
        "model_name_or_path: Qwen/Qwen2.5-0.5B\nstage: ppo\nfinetuning_type: lora\n"
        "template: qwen\ndataset: x\nreward_model: saves/rm\ncutoff_len: 1024\n"
    )
    assert _codes(factory, "ppo.yaml", select=("TL508",)) == {}


TORCHTUNE_EVAL = """\
model:
  _component_: torchtune.models.llama3_1.llama3_1_70b
checkpointer:
  _component_: torchtune.training.FullModelHFCheckpointer
  checkpoint_dir: /tmp/Meta-Llama-3.1-70B-Instruct/
tokenizer:
  _component_: torchtune.models.llama3.llama3_tokenizer
  path: /tmp/tokenizer.model
  max_seq_len: 4096
dtype: bf16
tasks: ["truthfulqa_mc2"]
batch_size: 8
"""


def test_evaluation_configs_get_no_training_findings() -> None:
    found = _codes(TORCHTUNE_EVAL, "evaluation.yaml", gpu="RTX 4090")
    assert not {"TL301", "TL402", "TL401", "TL104"} & set(found), found
    training = TORCHTUNE_EVAL.replace(
        'tasks: ["truthfulqa_mc2"]\n',
        "loss:\n  _component_: torchtune.modules.loss.LinearCrossEntropyLoss\n",
    )
    assert "TL301" in _codes(training, "70B_full.yaml", gpu="RTX 4090")


TOO_BIG = """\
model:
  name: Qwen/Qwen2.5-7B
  max_seq_len: 4096
peft:
  kind: full
  reason: measured
hardware:
  gpu: A10G{count}
"""

TUNE_70B = TORCHTUNE_EVAL.replace("max_seq_len: 4096", "max_seq_len: 2048").replace(
    'tasks: ["truthfulqa_mc2"]\nbatch_size: 8\n',
    "optimizer:\n  _component_: torch.optim.AdamW\n  lr: 2e-5\n"
    "loss:\n  _component_: torchtune.modules.loss.LinearCrossEntropyLoss\n",
)


def test_a_recipe_the_launcher_may_shard_does_not_fit_only_as_a_warning() -> None:
    # torchtune: `tune run full_finetune_distributed` shards; the file cannot say.
    found = _codes(TUNE_70B, "70B_full.yaml", gpu="A100-80GB", select=("TL402",))
    assert found["TL402"].severity == "warning"
    # The builder names the model exactly (the checkpoint folder, not here, is not assumed).
    assert found["TL402"].message.endswith("(assuming 1 GPU, unsharded)")
    counted = LintOptions(settings=Settings(), select=("TL402",), gpu="A100-80GB", gpu_count=1)
    (stated,) = lint_text(TUNE_70B, "70B_full.yaml", counted).diagnostics
    assert stated.severity == "error" and "assuming" not in stated.message


def test_a_stated_single_gpu_run_that_cannot_fit_is_an_error() -> None:
    for count in ("", "\n  count: 1"):
        found = _codes(TOO_BIG.format(count=count), "big.tune.yaml", select=("TL402",))
        assert found["TL402"].severity == "error"
        assert "assuming" not in found["TL402"].message
    # Sharded with no count: estimated at every count up to 1024; none fits: no assumption.
    # Packed: full-length sequences are certain (what is left at 1024 GPUs is activations).
    sharded = TOO_BIG.format(count="\n  distributed: deepspeed-zero3")
    sharded += "training:\n  sample_packing: true\n"
    found = _codes(sharded, "big.tune.yaml", select=("TL402",))
    assert found["TL402"].severity == "error"


def test_partial_training_is_an_assumption_of_the_full_estimate() -> None:
    badam = (
        "model_name_or_path: Qwen/Qwen2.5-7B\nstage: sft\nfinetuning_type: full\n"
        "use_badam: true\ntemplate: qwen\ndataset: x\ncutoff_len: 4096\npure_bf16: true\n"
    )
    found = _codes(badam, "badam.yaml", gpu="A10G")
    assert "TL104" not in found  # pure_bf16: bf16 weights, not fp32
    assert "TL301" not in found  # BAdam is a stated reason
    if "TL402" in found:
        assert found["TL402"].severity == "warning"
        assert "use_badam trains a part" in found["TL402"].message


def test_error_rules_declare_what_they_may_assume_and_severity_is_documented() -> None:
    rules = all_rules()
    errors = [r for r in rules if r.severity == "error" and r.check is not None]
    assert errors
    for rule in errors:
        # What a rule reads that may be assumed (the GPU count defaults to 1) it declares; the
        # engine then reports such findings as warnings and names the assumption.
        source = inspect.getsource(rule.check)
        if "gpu_count" in source or "_report(ctx)" in source:
            assert "GPU count" in rule.may_assume, rule.code
        if rule.may_assume:
            assert "assum" in rule.markdown(), rule.code
    text = DOCS.read_text()
    assert "## Severity" in text
    for word in ("**error**", "**warning**", "**info**", "assum"):
        assert word in text.split("## Severity", 1)[1].split("\n## ", 1)[0], word


def test_a_finding_with_an_undeclared_assumption_is_an_internal_error() -> None:
    from tunelint.checks.finding import Finding
    from tunelint.checks.rule import Rule, RuleDocs
    from tunelint.lint import _stamped

    docs = RuleDocs("w", "y", "e", "f", "s")
    plain = Rule("TL998", "x", "error", "s", "s", docs)
    try:
        _stamped(plain, Finding("m", assumed=("1 GPU",)))
    except ValueError as exc:
        assert "does not declare" in str(exc)
    else:
        raise AssertionError("an undeclared assumption must fail")


def test_parallelism_the_estimate_does_not_model_is_an_assumption() -> None:
    megatron = (
        "model_name_or_path: Qwen/Qwen3-30B-A3B\nstage: sft\ndo_train: true\n"
        "finetuning_type: full\ntemplate: qwen3\ndataset: x\ncutoff_len: 4096\nbf16: true\n"
        "pipeline_model_parallel_size: 4\nexpert_model_parallel_size: 2\n"
    )
    (found,) = lint_text(
        megatron,
        "megatron.yaml",
        LintOptions(settings=Settings(), gpu="A100-80GB", select=("TL402",)),
    ).diagnostics
    assert found.severity == "warning"
    assert "no pipeline_model_parallel_size: 4 (not modelled)" in found.message
