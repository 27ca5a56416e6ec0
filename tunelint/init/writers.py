"""Decision -> config text in each format, with a comment on every decided line naming the
rule behind it, and the files that go beside it (project settings for formats that cannot
name the GPU or the intent; a DeepSpeed ZeRO-3 JSON where the decision shards the model)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from tunelint.init.decide import Decision, PlanPath
from tunelint.init.formats import format_caps
from tunelint.init.yaml_lines import Note, YamlLines, scalar

DEEPSPEED_FILE = "ds_zero3.json"
SETTINGS_FILE = "tunelint.toml"
# LLaMA-Factory chat templates by model family (src/llamafactory/data/template.py names).
LLAMAFACTORY_TEMPLATES = {
    "llama": "llama3",
    "mistral": "mistral",
    "mixtral": "mistral",
    "qwen2": "qwen",
    "qwen": "qwen",
    "gemma2": "gemma2",
    "gemma": "gemma",
    "phi3": "phi",
}
# Plan training fields -> Hugging Face TrainingArguments keys (LLaMA-Factory and TRL both
# pass their files to TrainingArguments).
HF_TRAINING_KEYS = {
    "micro_batch_size": "per_device_train_batch_size",
    "gradient_accumulation_steps": "gradient_accumulation_steps",
    "epochs": "num_train_epochs",
    "learning_rate": "learning_rate",
    "optimizer": "optim",
    "lr_scheduler": "lr_scheduler_type",
    "warmup_ratio": "warmup_ratio",
    "logging_steps": "logging_steps",
}


def _note(decision: Decision, path: PlanPath) -> Note:
    return decision.accepted.get(path) or decision.why.get(path)


def _header(decision: Decision, label: str, run: str) -> YamlLines:
    out = YamlLines()
    d, a = decision, decision.answers
    count = f" x {a.gpu_count}" if a.gpu_count > 1 else ""
    out.comment(
        f"{label} config written by `tunelint init` for {d.plan.model.name} on "
        f"{d.gpu.name}{count}: est. {d.per_gpu_gib:.1f} of {d.gpu.memory_gib:g} GiB per GPU"
    )
    out.comment(f"Train: {run}")
    for note in d.notes:
        out.comment(f"Note: {note}")
    return out


# --- native ---------------------------------------------------------------------------------
_NATIVE_ORDER = ("model", "intent", "method", "peft", "precision", "hardware", "training")


def _native(decision: Decision) -> str:
    out = _header(decision, "tunelint", "tunelint run <this file>")
    data = decision.plan.model_dump(mode="json", exclude_unset=True, by_alias=True)
    for section in (*_NATIVE_ORDER, *(k for k in data if k not in _NATIVE_ORDER)):
        if section not in data:
            continue
        value = data[section]
        if not isinstance(value, dict):
            out.key(section, value, _note(decision, (section,)))
            continue
        note: Note = (
            "the article's decision axes: the rules read them" if section == "intent" else None
        )
        out.section(section, note)
        for key, item in value.items():
            out.key(key, item, _note(decision, (section, key)), indent=2)
    return out.text()


# --- axolotl ----------------------------------------------------------------------------------
def _axolotl(decision: Decision) -> str:
    plan, n = decision.plan, lambda *p: _note(decision, p)
    method = plan.method.kind
    out = _header(decision, "axolotl", "axolotl train <this file>")
    if method == "sft":
        out.comment(f"method: sft: {decision.why[('method', 'kind')]}")
    out.key("base_model", plan.model.name)
    out.key("sequence_len", plan.model.max_seq_len, n("model", "max_seq_len"))
    if plan.peft.kind == "qlora":
        out.key("load_in_4bit", True, "QLoRA loads the base in 4-bit (TL501)")
    out.blank()
    if method == "dpo":
        out.key("rl", "dpo", n("method", "kind"))
        out.key("rl_beta", plan.method.beta)
    out.key("adapter", plan.peft.kind, n("peft", "kind"))
    out.key("lora_r", plan.peft.r)
    out.key("lora_alpha", plan.peft.alpha)
    out.key("lora_dropout", plan.peft.dropout)
    out.key("lora_target_linear", True)
    out.blank()
    assert plan.data is not None
    out.section("datasets")
    # axolotl's prompt_strategies/dpo/chatml.py `prompt_pairs` reads prompt/chosen/rejected;
    # `chat_template` reads a `messages` list (the chat layout).
    kind = "chatml.prompt_pairs" if method == "dpo" else "chat_template"
    out.lines.append(f"  - path: {scalar(plan.data.train)}")
    out.key("type", kind, f"{plan.data.format} records", indent=4)
    out.blank()
    _precision_flags(out, decision)
    _training_keys(
        out,
        decision,
        {
            "micro_batch_size": "micro_batch_size",
            "gradient_accumulation_steps": "gradient_accumulation_steps",
            "epochs": "num_epochs",
            "learning_rate": "learning_rate",
            "optimizer": "optimizer",
            "lr_scheduler": "lr_scheduler",
            "warmup_ratio": "warmup_ratio",
            "gradient_checkpointing": "gradient_checkpointing",
            "logging_steps": "logging_steps",
        },
    )
    _deepspeed_key(out, decision)
    out.key("output_dir", plan.output.dir)
    return out.text()


# --- LLaMA-Factory ----------------------------------------------------------------------------
def _llamafactory(decision: Decision) -> str:
    plan, n = decision.plan, lambda *p: _note(decision, p)
    out = _header(decision, "LLaMA-Factory", "llamafactory-cli train <this file>")
    assert plan.data is not None
    data = PurePosixPath(plan.data.train)
    out.comment(
        f"Data: register `{data.stem}` (file_name {data.name}) in "
        f"{data.parent.as_posix() or '.'}/dataset_info.json"
    )
    out.comment("model")
    out.key("model_name_or_path", plan.model.name)
    if plan.peft.kind == "qlora":
        out.key("quantization_bit", 4, "QLoRA loads the base in 4-bit (TL501)")
    out.blank()
    out.comment("method")
    out.key("stage", plan.method.kind, n("method", "kind"))
    out.key("do_train", True)
    out.key("finetuning_type", "lora", n("peft", "kind"))
    out.key("lora_rank", plan.peft.r)
    out.key("lora_alpha", plan.peft.alpha)
    out.key("lora_dropout", plan.peft.dropout)
    out.key("lora_target", "all")
    if plan.method.kind == "dpo":
        out.key("pref_beta", plan.method.beta)
        out.key("pref_loss", "sigmoid")
    out.blank()
    out.comment("dataset")
    out.key("dataset", data.stem)
    out.key("dataset_dir", data.parent.as_posix() or ".")
    template = LLAMAFACTORY_TEMPLATES.get(decision.model.model_type, "default")
    out.key("template", template)
    out.key("cutoff_len", plan.model.max_seq_len, n("model", "max_seq_len"))
    out.blank()
    out.comment("train")
    _precision_flags(out, decision)
    # LLaMA-Factory 0.9 still accepts warmup_ratio, and checkpoints unless told not to.
    _training_keys(out, decision, HF_TRAINING_KEYS)
    if not plan.training.gradient_checkpointing:
        out.key("disable_gradient_checkpointing", True, n("training", "gradient_checkpointing"))
    _deepspeed_key(out, decision)
    out.key("output_dir", plan.output.dir)
    return out.text()


# --- TRL CLI ------------------------------------------------------------------------------------
def _trl(decision: Decision) -> str:
    plan, n = decision.plan, lambda *p: _note(decision, p)
    method = plan.method.kind
    out = _header(decision, "TRL", f"trl {method} --config <this file>")
    out.comment(f"method: {method}: {decision.why[('method', 'kind')]}")
    out.key("model_name_or_path", plan.model.name)
    if plan.precision in ("bf16", "fp16"):
        # TRL >= 0.27 loads the model in fp32 unless `dtype` says otherwise (trl PR #4778).
        dtype = "bfloat16" if plan.precision == "bf16" else "float16"
        out.key("dtype", dtype, "the frozen base in the training dtype (TRL's default: fp32)")
    if plan.peft.kind == "qlora":
        out.key("load_in_4bit", True, "QLoRA loads the base in 4-bit (TL501)")
        out.key("bnb_4bit_quant_type", "nf4")
    out.key("use_peft", True, n("peft", "kind"))
    out.key("lora_r", plan.peft.r)
    out.key("lora_alpha", plan.peft.alpha)
    out.key("lora_dropout", plan.peft.dropout)
    out.key("lora_target_modules", "all-linear")
    out.blank()
    assert plan.data is not None
    out.key("dataset_name", plan.data.train, f"{plan.data.format} records")
    out.key("max_length", plan.model.max_seq_len, n("model", "max_seq_len"))
    if method == "dpo":
        out.key("beta", plan.method.beta)
    out.blank()
    _precision_flags(out, decision)
    _training_keys(
        out,
        decision,
        {
            **HF_TRAINING_KEYS,
            # transformers 5.2 folded warmup_ratio into warmup_steps (below 1: a ratio)
            "warmup_ratio": "warmup_steps",
            "gradient_checkpointing": "gradient_checkpointing",
        },
    )
    _deepspeed_key(out, decision)
    out.key("output_dir", plan.output.dir)
    return out.text()


# --- shared pieces ------------------------------------------------------------------------------
def _precision_flags(out: YamlLines, decision: Decision) -> None:
    precision = decision.plan.precision
    note = _note(decision, ("precision",))
    if precision == "bf16":
        out.key("bf16", True, note)
    elif precision == "fp16":
        out.key("fp16", True, note)


def _training_keys(out: YamlLines, decision: Decision, keys: dict[str, str]) -> None:
    training = decision.plan.training
    for field, key in keys.items():
        value: Any = getattr(training, field)
        if value is None:
            continue
        out.key(key, value, _note(decision, ("training", field)))


def _deepspeed_key(out: YamlLines, decision: Decision) -> None:
    if decision.plan.hardware.distributed == "deepspeed-zero3":
        out.key("deepspeed", DEEPSPEED_FILE, _note(decision, ("hardware", "distributed")))


WRITERS: dict[str, Callable[[Decision], str]] = {
    "native": _native,
    "axolotl": _axolotl,
    "llamafactory": _llamafactory,
    "trl": _trl,
}


def write_config(decision: Decision, fmt: str | None = None) -> str:
    """The config text of `decision` in `fmt` (default: the format it was decided for)."""
    return WRITERS[fmt or decision.answers.format](decision)


def companion_files(decision: Decision, fmt: str | None = None) -> dict[str, str]:
    """Files to write beside the config (name relative to its folder -> text)."""
    fmt = fmt or decision.answers.format
    files: dict[str, str] = {}
    if fmt != "native":
        files[SETTINGS_FILE] = _settings(decision, format_caps(fmt).label)
        if decision.plan.hardware.distributed == "deepspeed-zero3":
            files[DEEPSPEED_FILE] = _deepspeed_json()
    return files


def _settings(decision: Decision, label: str) -> str:
    a = decision.answers
    intent = decision.plan.intent
    lines = [
        f"# Written by `tunelint init`: what {label} configs cannot state, for `tunelint check`.",
        f"gpu = {json.dumps(decision.gpu.name)}",
        f"gpu-count = {a.gpu_count}",
        "",
        "[intent]  # the article's decision axes: the rules read them",
        f"goal = {json.dumps(intent.goal)}",
        f"tasks = {intent.tasks}",
        f"priority = {json.dumps(intent.priority)}",
        f"schedule_days = {scalar(intent.schedule_days)}",
    ]
    return "\n".join(lines) + "\n"


def _deepspeed_json() -> str:
    # "auto" values take the trainer's own (transformers' HfDeepSpeedConfig fills them), so the
    # JSON never contradicts the config (TL503/TL504).
    config = {
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "train_batch_size": "auto",
        "gradient_clipping": "auto",
        "bf16": {"enabled": "auto"},
        "fp16": {"enabled": "auto"},
        "zero_optimization": {
            "stage": 3,
            "overlap_comm": True,
            "contiguous_gradients": True,
            "stage3_gather_16bit_weights_on_model_save": True,
        },
    }
    return json.dumps(config, indent=2) + "\n"
