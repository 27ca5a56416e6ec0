"""LLaMA-Factory v1 configs (src/llamafactory/v1, commit ff6d4d12e): detection, each reading
(config text -> Plan field or fact) at v1's own defaults, fixes in v1's keys, and `tunelint
check` on the corpus' v1 files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tunelint.cli import main
from tunelint.config.detect import detect_dialect
from tunelint.config.dialects import get_dialect
from tunelint.config.document import parse_document
from tunelint.config.settings import Settings
from tunelint.lint import LintOptions, LintResult, fix_text, lint_text

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
V1_FILES = (
    "llama-factory/examples__v1__train_freeze__train_freeze_sft.yaml",
    "llama-factory/examples__v1__train_full__train_full_ulysses_cp.yaml",
)

# Written like upstream examples/v1/train_lora/train_lora_sft.yaml.
LORA = """\
model: Qwen/Qwen3-4B
model_class: llm

# PEFT Configuration
peft_config:
  name: lora
  r: 16
  lora_alpha: 32
  lora_dropout: 0.05
  target_modules: all

dist_config:
  name: fsdp2
  dcp_path: null

train_dataset: data/v1_sft_demo.yaml
output_dir: ./outputs/test_lora
micro_batch_size: 1
cutoff_len: 2048
learning_rate: 1.0e-4
max_steps: 10
"""
# The smallest v1 file: a model and the dataset.
BARE = "model: Qwen/Qwen3-0.6B\ntrain_dataset: data/v1_sft_demo.yaml\n"


def _read(text: str, name: str = "train.yaml", gpu: str | None = None) -> LintResult:
    result = lint_text(text, name, LintOptions(settings=Settings(), gpu=gpu))
    assert result.dialect == "llamafactory-v1"
    assert result.plan is not None and result.context is not None
    return result


# -- detection ------------------------------------------------------------------------


def test_v1_files_are_the_v1_dialect() -> None:
    for text in (LORA, BARE, "model: Qwen/Qwen3-4B\npeft_config:\n  name: lora\n"):
        found = detect_dialect(parse_document(text, "cfg.yaml"))
        assert found.name == "llamafactory-v1" and found.confidence >= 0.5, text


def test_v0_files_and_dataset_lists_are_not_v1(require_shared) -> None:  # type: ignore[no-untyped-def]
    v0 = (
        "model_name_or_path: Qwen/Qwen3-4B\nstage: sft\nfinetuning_type: lora\n"
        "dataset: identity\ntemplate: qwen3\ncutoff_len: 2048\n"
    )
    assert detect_dialect(parse_document(v0, "qwen3_lora_sft.yaml")).name == "llamafactory"
    v1 = get_dialect("llamafactory-v1")
    assert v1 is not None
    assert v1.detect(parse_document(v0, "qwen3_lora_sft.yaml")) == 0.0
    # `model` with a v0 `model_name_or_path` is v0 (with an unknown key), never v1.
    mixed = v0 + "model: x\ntrain_dataset: y\n"
    assert v1.detect(parse_document(mixed, "x.yaml")) == 0.0
    # v1's dataset list (data/v1_sft_demo.yaml) is no training config.
    path = require_shared(CORPUS) / "nonconfig" / "hiyouga__LLaMA-Factory__data__v1_sft_demo.yaml"
    doc = parse_document(path.read_text(encoding="utf-8"), str(path))
    assert v1.detect(doc) == 0.0
    assert detect_dialect(doc).dialect is None


def test_corpus_v1_files_are_detected(require_shared) -> None:  # type: ignore[no-untyped-def]
    root = require_shared(CORPUS)
    for name in V1_FILES:
        path = root / name
        found = detect_dialect(parse_document(path.read_text(encoding="utf-8"), str(path)))
        assert found.name == "llamafactory-v1", name


# -- readings -------------------------------------------------------------------------


def test_lora_block_and_training_keys_map_onto_the_plan() -> None:
    result = _read(LORA)
    plan = result.plan
    assert plan.model.name == "Qwen/Qwen3-4B"
    assert plan.model.max_seq_len == 2048
    assert (plan.peft.kind, plan.peft.r, plan.peft.alpha, plan.peft.dropout) == (
        "lora",
        16,
        32.0,
        0.05,
    )
    assert plan.peft.target_modules == "all-linear"  # "all": every linear layer
    assert plan.training.learning_rate == 1e-4
    assert plan.training.max_steps == 10
    assert plan.training.micro_batch_size == 1
    assert plan.hardware.distributed == "fsdp"
    assert plan.output.dir == "./outputs/test_lora"
    assert plan.data is not None and plan.data.train == "data/v1_sft_demo.yaml"
    assert result.source_map.get(("peft", "r")).dialect_key == "peft_config.r"
    assert result.source_map.get(("model", "name")).dialect_key == "model"
    assert result.context.facts.trainer == "llamafactory"
    assert result.context.facts.options is None  # no v1 option table: keys not judged


def test_v1_defaults_fill_what_the_file_leaves_out() -> None:
    # training_args.py / peft.py defaults, not v0's or the Plan's.
    plan = _read("model: m/x\ntrain_dataset: d\npeft_config:\n  name: lora\n").plan
    assert (plan.peft.r, plan.peft.alpha, plan.peft.dropout) == (8, 16.0, 0.05)
    assert plan.training.learning_rate == 1e-4
    assert plan.training.epochs == 3
    assert plan.training.micro_batch_size == 1
    assert plan.training.gradient_accumulation_steps == 1
    assert plan.training.gradient_checkpointing is True
    assert plan.training.logging_steps == 1
    assert plan.training.lr_scheduler == "constant"  # no lr_scheduler_config
    assert (plan.training.optimizer, plan.training.weight_decay) == ("adamw_torch", 0.01)
    assert plan.model.max_seq_len == 2048
    assert plan.model.attn_implementation == "sdpa"


def test_no_peft_config_is_full_tuning_in_fp32_without_dist_config() -> None:
    # model_engine.py casts the model to fp32; nothing autocasts without an FSDP engine.
    plan = _read(BARE + "bf16: true\n").plan
    assert (plan.peft.kind, plan.precision) == ("full", "fp32")
    fsdp = _read(BARE + "dist_config:\n  name: fsdp2\n").plan
    assert (fsdp.peft.kind, fsdp.precision) == ("full", "bf16")  # bf16 defaults to true
    off = _read(BARE + "dist_config:\n  name: fsdp2\nbf16: false\n")
    assert off.plan.precision == "fp32"
    assert off.source_map.get(("precision",)).dialect_key == "bf16"
    # An adapter without an FSDP engine trains on the checkpoint's dtype: left to the default.
    lora = _read(BARE + "peft_config:\n  name: lora\nbf16: false\n").plan
    assert lora.precision is None


def test_freeze_is_partial_full_tuning() -> None:
    text = BARE + "peft_config:\n  name: freeze\n  freeze_trainable_layers: 2\n"
    result = _read(text)
    assert result.plan.peft.kind == "full"
    assert result.context.facts.partial == "peft_config.name: freeze"


def test_quant_config_bits_and_bnb_default() -> None:
    text = BARE + "peft_config:\n  name: lora\nquant_config:\n  name: bnb\n  quantization_bit: 8\n"
    plan = _read(text).plan
    assert (plan.model.quantization, plan.peft.kind) == ("8bit", "lora")
    bnb = _read(BARE + "peft_config:\n  name: lora\nquant_config:\n  name: bnb\n").plan
    assert (bnb.model.quantization, bnb.peft.kind) == ("4bit", "qlora")  # bnb alone: 4-bit
    auto = _read(BARE + "peft_config:\n  name: lora\nquant_config:\n  name: auto\n").plan
    assert auto.model.quantization is None  # auto without a bit count: not quantized
    dora = BARE + "peft_config:\n  name: lora\n  use_dora: true\n  target_modules: q_proj\n"
    plan = _read(dora).plan
    assert (plan.peft.kind, plan.peft.target_modules) == ("dora", ["q_proj"])


def test_global_batch_size_sets_gradient_accumulation() -> None:
    text = BARE + "micro_batch_size: 2\nglobal_batch_size: 32\ndp_size: 4\n"
    result = _read(text)
    assert result.plan.training.gradient_accumulation_steps == 4  # 32 / (2 x 4)
    assert ("training", "gradient_accumulation_steps") not in result.context.facts.unmapped
    # Without dp_size the launch's world size decides: 1 assumed, and said so.
    guess = _read(BARE + "micro_batch_size: 2\nglobal_batch_size: 32\n")
    assert guess.plan.training.gradient_accumulation_steps == 16
    assert ("training", "gradient_accumulation_steps") in guess.context.facts.unmapped


def test_stage_comes_from_preference_keys_or_the_file_name() -> None:
    dpo = _read(BARE + "pref_beta: 0.2\n")
    assert (dpo.plan.method.kind, dpo.plan.method.beta) == ("dpo", 0.2)
    assert dpo.plan.data is not None and dpo.plan.data.format == "preference"
    orpo = _read(BARE + "pref_loss: orpo\n")
    assert orpo.plan.method.kind == "orpo"
    assert ("method", "kind") not in _read(BARE, "train_lora_sft.yaml").context.facts.unmapped
    named = _read(BARE, "train_lora_dpo.yaml")
    assert named.plan.method.kind == "dpo"
    assert ("method", "kind") not in named.context.facts.unmapped
    reward = _read(BARE.replace("\n", "\nmodel_class: cls\n", 1))
    assert reward.plan.method.kind == "reward"
    # Nothing says it: the command decides, so SFT is an assumption rules must not lean on.
    sft = _read(BARE, "train.yaml")
    assert sft.plan.method.kind == "sft"
    assert ("method", "kind") in sft.context.facts.unmapped


def test_dist_config_offload_cp_and_expert_parallelism() -> None:
    text = BARE + "dist_config:\n  name: fsdp2\n  offload_params: true\ncp_size: 2\n"
    result = _read(text)
    assert (result.plan.hardware.distributed, result.plan.hardware.cpu_offload) == ("fsdp", True)
    assert result.context.facts.unmodelled_parallelism == ("cp_size: 2",)
    turbo = _read(BARE + "dist_config:\n  name: fsdpturbo\n  ep_size: 16\n")
    assert turbo.plan.hardware.distributed == "fsdp"
    assert turbo.context.facts.unmodelled_parallelism == ("dist_config.ep_size: 16",)


def test_deepspeed_dist_config_reads_its_json(tmp_path: Path) -> None:
    ds = {"zero_optimization": {"stage": 3}, "bf16": {"enabled": "auto"}}
    (tmp_path / "ds_z3.json").write_text(json.dumps(ds))
    config = tmp_path / "train.yaml"
    config.write_text(BARE + "dist_config:\n  name: deepspeed\n  config_file: ds_z3.json\n")
    result = lint_text(config.read_text(), config, LintOptions(settings=Settings()))
    assert result.plan is not None
    assert result.plan.hardware.distributed == "deepspeed-zero3"
    assert result.plan.precision == "bf16"  # both auto: bf16 (deepspeed_utils.py)
    ds["bf16"] = {"enabled": False}
    (tmp_path / "ds_z3.json").write_text(json.dumps(ds))
    off = lint_text(config.read_text(), config, LintOptions(settings=Settings()))
    assert off.plan is not None and off.plan.precision == "fp32"
    ds["bf16"], ds["fp16"] = {"enabled": "auto"}, {"enabled": False}
    (tmp_path / "ds_z3.json").write_text(json.dumps(ds))
    no_fp16 = lint_text(config.read_text(), config, LintOptions(settings=Settings()))
    assert no_fp16.plan is not None and no_fp16.plan.precision == "fp32"
    ds["fp16"] = {"enabled": True}  # as written (v1 refuses fp16 at start-up)
    (tmp_path / "ds_z3.json").write_text(json.dumps(ds))
    fp16 = lint_text(config.read_text(), config, LintOptions(settings=Settings()))
    assert fp16.plan is not None and fp16.plan.precision == "fp16"


def test_optimizer_and_scheduler_plugins_are_unmapped_not_guessed() -> None:
    text = BARE + "optim_config:\n  name: muon\nlr_scheduler_config:\n  name: cosine\n"
    facts = _read(text).context.facts
    assert {("training", "optimizer"), ("training", "lr_scheduler")} <= facts.unmapped


def test_batching_strategy_padding_free_is_packing() -> None:
    plan = _read(BARE + "batching_strategy: padding_free\nflash_attn: flash_attention_2\n").plan
    assert plan.training.sample_packing is True
    assert plan.model.attn_implementation == "flash_attention_2"
    assert _read(BARE + "batching_strategy: normal\n").plan.training.sample_packing is False


def test_a_resumed_adapter_keeps_its_own_settings() -> None:
    text = BARE + "peft_config:\n  name: lora\n  r: 64\n  adapter_name_or_path: out/lora\n"
    facts = _read(text).context.facts
    assert {("peft", "r"), ("peft", "alpha"), ("peft", "target_modules")} <= facts.unmapped
    assert not _read(BARE + "peft_config:\n  name: lora\n").context.facts.unmapped & {("peft", "r")}


def test_export_file_is_a_merge() -> None:
    text = (
        "model: Qwen/Qwen3-4B\npeft_config:\n  name: lora\n"
        "  adapter_name_or_path: ./outputs/test_lora\n  export_dir: ./merged\n"
    )
    assert _read(text, "export_lora.yaml").context.facts.purpose == "merge"


def test_v1_keys_are_not_judged_with_v0_tables() -> None:
    # `model`, `train_dataset`, `micro_batch_size` are unknown to v0's hparams: no TL920.
    result = _read(LORA + "gradient_acumulation_steps: 4\n")
    assert not {"TL510", "TL920", "TL921"} & {d.code for d in result.diagnostics}


# -- fixes ----------------------------------------------------------------------------


def _fix(text: str, code: str, gpu: str) -> str:
    options = LintOptions(settings=Settings(), gpu=gpu)
    assert code in {d.code for d in lint_text(text, "train.yaml", options).diagnostics}
    fixed = fix_text(text, "train.yaml", options, unsafe=True, codes={code})
    assert fixed.applied >= 1
    assert code not in {d.code for d in fixed.result.diagnostics}
    assert fixed.result.dialect == "llamafactory-v1"
    assert isinstance(yaml.safe_load(fixed.text), dict)
    return fixed.text


def test_fix_fp32_to_bf16_under_fsdp2() -> None:
    before = BARE + "dist_config:\n  name: fsdp2\nbf16: false  # debugging\nmax_steps: 10\n"
    after = BARE + "dist_config:\n  name: fsdp2\nbf16: true  # debugging\nmax_steps: 10\n"
    assert _fix(before, "TL104", "A100-80GB") == after


def test_no_precision_fix_the_file_cannot_express() -> None:
    options = LintOptions(settings=Settings(), gpu="T4")
    # v1 has no fp16; without dist_config `bf16` changes nothing.
    fsdp = lint_text(BARE + "dist_config:\n  name: fsdp2\n", "train.yaml", options)
    (bf16,) = [d for d in fsdp.diagnostics if d.code == "TL102"]
    assert bf16.fix is None
    full = lint_text(BARE, "train.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    (fp32,) = [d for d in full.diagnostics if d.code == "TL104"]
    assert fp32.fix is None


def test_fix_gradient_checkpointing_on() -> None:
    before = (
        "model: Qwen/Qwen2.5-7B\npeft_config:\n  name: lora\ntrain_dataset: d.yaml\n"
        "micro_batch_size: 2\ncutoff_len: 4096\nenable_activation_checkpointing: false\n"
    )
    after = before.replace("checkpointing: false", "checkpointing: true")
    assert _fix(before, "TL402", "A100-40GB") == after


def test_fix_full_to_lora_writes_a_peft_block() -> None:
    before = "model: meta-llama/Meta-Llama-3-8B\nmodel_class: llm\ntrain_dataset: d.yaml\n"
    after = before + "peft_config: {name: lora, target_modules: all}\n"
    assert _fix(before, "TL301", "A100-80GB") == after


def test_fix_freeze_to_lora_drops_freeze_fields() -> None:
    before = (
        "model: Qwen/Qwen3-4B\npeft_config:\n  name: freeze\n  freeze_trainable_layers: 2\n"
        "  freeze_extra_modules: null\ndist_config:\n  name: fsdp2\ntrain_dataset: d.yaml\n"
    )
    after = (
        "model: Qwen/Qwen3-4B\npeft_config:\n  name: lora\ndist_config:\n  name: fsdp2\n"
        "train_dataset: d.yaml\n"
    )
    assert _fix(before, "TL401", "T4") == after


def test_fix_qlora_to_lora_removes_quant_config() -> None:
    before = (
        "model: Qwen/Qwen3-0.6B\npeft_config:\n  name: lora\n  r: 16\n"
        "quant_config:\n  name: bnb\n  quantization_bit: 4\ntrain_dataset: d.yaml\n"
    )
    after = "model: Qwen/Qwen3-0.6B\npeft_config:\n  name: lora\n  r: 16\ntrain_dataset: d.yaml\n"
    assert _fix(before, "TL401", "A100-80GB") == after


def test_fix_lora_to_qlora_writes_quant_config() -> None:
    before = (
        "model: Qwen/Qwen2.5-7B\npeft_config:\n  name: lora\ntrain_dataset: d.yaml\n"
        "micro_batch_size: 2\ncutoff_len: 4096\nenable_activation_checkpointing: false\n"
        "quant_config: null\n"
    )
    after = before.replace("checkpointing: false", "checkpointing: true").replace(
        "quant_config: null\n", "quant_config: {name: bnb, quantization_bit: 4}\n"
    )
    assert _fix(before, "TL402", "L4") == after


def test_no_sdpa_fix_where_v1_needs_flash_attention() -> None:
    # base_trainer.py: context parallelism requires flash_attention_2.
    text = (
        BARE + "flash_attn: flash_attention_2\ndist_config:\n  name: fsdp2\ncp_size: 2\n"
        "bf16: false\n"
    )
    result = lint_text(text, "train.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    (fa2,) = [d for d in result.diagnostics if d.code == "TL512"]
    assert fa2.fix is None
    plain = text.replace("cp_size: 2\n", "")
    result = lint_text(plain, "train.yaml", LintOptions(settings=Settings(), gpu="A100-80GB"))
    (fa2,) = [d for d in result.diagnostics if d.code == "TL512"]
    assert fa2.fix is not None


# -- the corpus -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "gpu", "codes"),
    [
        # freeze of Qwen3-4B under FSDP2 (bf16 by default) on a GPU without bf16, and
        # 15.3 of 16 GiB estimated for training two blocks in full.
        (V1_FILES[0], "T4", {"TL102", "TL401"}),
        # `bf16: false` with full tuning trains in fp32, which flash_attention_2 refuses;
        # Qwen3 needs no remote code.
        (V1_FILES[1], "A100-80GB", {"TL104", "TL512", "TL601"}),
    ],
)
def test_check_reads_corpus_v1_files(
    name: str,
    gpu: str,
    codes: set[str],
    require_shared,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = require_shared(CORPUS) / name
    main(["check", "--gpu", gpu, "--format", "json", str(path)])
    captured = capsys.readouterr()
    assert "not a fine-tuning config" not in captured.out + captured.err
    found = {d["code"] for d in json.loads(captured.out)}
    assert found == codes
