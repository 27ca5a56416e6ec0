"""LLaMA-Factory configs (`llamafactory-cli train cfg.yaml`): `stage`, `finetuning_type`,
`model_name_or_path`, `template`, `cutoff_len` and the HF TrainingArguments onto the Plan.

LLaMA-Factory loads YAML with OmegaConf (which reads `2e-5` as a float) and fills what the
file leaves out with its own defaults (LoRA rank 8, alpha 2 x rank, all linear layers,
gradient checkpointing on); the Plan carries those so memory and PEFT rules see the real run.
A `deepspeed:` JSON is read with the config.

Meanings read from LLaMA-Factory's source at v0.9.5+54 (commit ff6d4d12e):
- hparams/parser.py `read_args`: `OmegaConf.load` (YAML), `parse_json_file` (JSON).
- hparams/finetuning_args.py: `finetuning_type: freeze` trains the last
  `freeze_trainable_layers` blocks in full; `use_badam` / `use_galore` / `use_apollo` need
  `full` or `freeze` (partial updates or projected optimizer states); `stage: pt` is
  continued pre-training; `pure_bf16` trains bf16 weights without AMP; PPO keeps one base
  with a value head and, by default (`reward_model_type: lora`), the reward model as a LoRA
  adapter on it; `additional_target` are LoRA's modules_to_save.
- hparams/model_args.py: `enable_liger_kernel`, `use_unsloth_gc` (activations offloaded).
- Evaluation (`do_predict` without `do_train`), chat/inference (`infer_backend`) and export
  (`export_dir`) files are not training runs (purpose fact).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.deepspeed import attach_deepspeed
from tunelint.config.dialects.facts import PrecisionPair
from tunelint.config.dialects.llamafactory_v1 import is_v1_schema
from tunelint.config.dialects.option_scope import option_scope
from tunelint.config.dialects.reader import (
    KeyReader,
    as_bool,
    as_float,
    as_int,
    hf_training_fields,
    put_switches,
    read_fields,
    string_list,
)
from tunelint.config.dialects.rendering import (
    RenderTable,
    ToKey,
    flags_off,
    insert_after,
    removals,
    remove_keys,
    render_fix,
    set_key,
    switch_flag,
    top_level_keys,
)
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_MARKERS = {
    "stage": 0.3,
    "finetuning_type": 0.35,
    "model_name_or_path": 0.15,
    "template": 0.15,
    "cutoff_len": 0.2,
    "dataset": 0.05,
    "lora_target": 0.15,
    "lora_rank": 0.1,
    "pref_beta": 0.1,
    "pref_loss": 0.1,
    "quantization_bit": 0.1,
    "preprocessing_num_workers": 0.05,
    "plot_loss": 0.1,
    "max_samples": 0.05,
    "do_train": 0.05,
}
# Keys only LLaMA-Factory's hparams (src/llamafactory/hparams/*_args.py, 0.9.5) define: no
# other framework's option table has them and none is a plain word. Without one of them (or
# a LLaMA-Factory `stage` beside `model_name_or_path`) a file is not claimed: `stage`,
# `dataset` and `template` are words other projects' own configs use too (a
# `python -m src.cli sft` config with `stage: sft` and `dataset: gsm8k`).
OWN_KEYS = (
    "finetuning_type",
    "cutoff_len",
    "lora_target",
    "pref_beta",
    "pref_loss",
    "quantization_bit",
    "plot_loss",
    "dataset_dir",
    "infer_backend",
    "export_dir",
)
_STAGES = {"pt": "sft", "sft": "sft", "rm": "reward", "ppo": "ppo", "dpo": "dpo", "kto": "kto"}
_OPTIMIZERS = {
    "adamw_torch": "adamw_torch",
    "adamw_torch_fused": "adamw_torch_fused",
    "adamw_bnb_8bit": "adamw_8bit",
    "adamw_8bit": "adamw_8bit",
    "paged_adamw_8bit": "paged_adamw_8bit",
    "paged_adamw_32bit": "paged_adamw_32bit",
    "adafactor": "adafactor",
    "sgd": "sgd",
}
_FLASH_ATTN = {"disabled": "eager", "sdpa": "sdpa", "fa2": "flash_attention_2"}
_PPO_KEYS = (
    "reward_model",
    "reward_model_type",
    "reward_model_adapters",
    "reward_model_quantization_bit",
)
SIMPLE: dict[PlanPath, tuple[str, ...]] = {
    ("model", "name"): ("model_name_or_path",),
    ("model", "revision"): ("model_revision",),
    ("model", "max_seq_len"): ("cutoff_len",),
    ("model", "trust_remote_code"): ("trust_remote_code",),
    ("method", "beta"): ("pref_beta",),
    ("method", "reward_model"): ("reward_model",),
    ("peft", "r"): ("lora_rank",),
    ("peft", "alpha"): ("lora_alpha",),
    ("peft", "dropout"): ("lora_dropout",),
    ("training", "epochs"): ("num_train_epochs",),
    ("training", "max_steps"): ("max_steps",),
    ("training", "learning_rate"): ("learning_rate",),
    ("training", "micro_batch_size"): ("per_device_train_batch_size",),
    ("training", "gradient_accumulation_steps"): ("gradient_accumulation_steps",),
    ("training", "optimizer"): ("optim",),
    ("training", "lr_scheduler"): ("lr_scheduler_type",),
    ("training", "warmup_ratio"): ("warmup_ratio",),
    ("training", "warmup_steps"): ("warmup_steps",),
    ("training", "weight_decay"): ("weight_decay",),
    ("training", "max_grad_norm"): ("max_grad_norm",),
    ("training", "sample_packing"): ("packing",),
    ("training", "seed"): ("seed",),
    ("training", "logging_steps"): ("logging_steps",),
    ("training", "save_steps"): ("save_steps",),
    ("output", "dir"): ("output_dir",),
}


def _targets(value: Any) -> str | list[str] | None:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    if isinstance(value, str) and value.strip():
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if parts == ["all"]:
            return "all-linear"
        return parts
    return None


# Megatron-core's parallelism settings: with USE_MCA=1, LLaMA-Factory (hparams/parser.py,
# 0.9.5) parses the file with mcore_adapter's TrainingArguments instead of its own.
_MEGATRON = frozenset(
    {"tensor_model_parallel_size", "pipeline_model_parallel_size", "expert_model_parallel_size"}
)


def detect_llamafactory(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    keys = set(root.keys())
    if is_v1_schema(keys):
        return 0.0  # v1's schema: another parser, other meanings (llamafactory_v1.py)
    stage = root.get("stage")
    staged = stage is not None and stage.value.plain() in _STAGES
    score = marker_score(keys, _MARKERS, bonus=0.15 if staged else 0.0)
    # A `stage` of LLaMA-Factory's with its model key (`model_name_or_path`) is its own too.
    own = bool(keys & set(OWN_KEYS)) or (staged and "model_name_or_path" in keys)
    return score if own else min(score, 0.3)


def _purpose(reader: KeyReader) -> str:
    """`llamafactory-cli train` with `do_train: false` + `do_predict` evaluates; files
    without a `stage` are chat/inference (`infer_backend`) or export (`export_dir`) configs."""
    # TrainingArguments: do_train defaults to false; LLaMA-Factory trains only with it.
    if as_bool(reader.value("do_predict")) and as_bool(reader.value("do_train")) is not True:
        return "evaluate"
    if reader.has("stage") or reader.has("do_train"):
        return "train"
    if reader.has("export_dir"):
        return "merge"
    if reader.has("infer_backend") or reader.has("adapter_name_or_path"):
        return "infer"
    return "train"


class LlamaFactoryDialect:
    name = "llamafactory"
    label = "LLaMA-Factory"

    def detect(self, doc: Document) -> float:
        return detect_llamafactory(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        found: dict[str, Any] = {
            F.TRAINER: "llamafactory",
            F.LOADER: F.OMEGACONF if doc.kind == "yaml" else F.JSON,
            # FSDP runs are launched with `accelerate launch --config_file fsdp_config.yaml`
            # (examples/accelerate/): without `deepspeed:`/`fsdp:` here the launch decides.
            F.SHARDING_OUTSIDE: not (reader.has("deepspeed") or reader.has("fsdp")),
        }
        related: dict[str, Document] = {}
        self._model(reader)
        self._method(reader)
        self._peft(reader, found)
        self._precision(reader, found)
        self._training(reader)
        # `fsdp` is transformers' TrainingArguments key, which LLaMA-Factory's
        # Seq2SeqTrainingArguments inherits: the HF Trainer shards through accelerate.
        fsdp = reader.value("fsdp")
        if isinstance(fsdp, (str, list)) and fsdp and not reader.value("deepspeed"):
            reader.put(("hardware", "distributed"), "fsdp", "fsdp")
        if reader.has("deepspeed"):
            ds = attach_deepspeed(reader, ("deepspeed",), related)
            if ds is not None:
                found[F.DEEPSPEED_VALUES] = ds.values
                if ds.both_precisions:
                    found.setdefault(F.BOTH_PRECISIONS, []).append(ds.both_precisions)
        output = reader.value("output_dir")
        if isinstance(output, str):
            reader.put(("output", "dir"), output, "output_dir")
        report = reader.value("report_to")
        if isinstance(report, str):
            report = [] if report in ("none", "") else [report]
        if isinstance(report, list) and all(isinstance(r, str) for r in report):
            reader.put(("output", "report_to"), [r for r in report if r != "none"], "report_to")
        R.read_eval_fraction(reader, found, "val_size")
        R.read_parallelism(
            reader,
            found,
            "tensor_model_parallel_size",
            "pipeline_model_parallel_size",
            "expert_model_parallel_size",
            "context_parallel_size",
            "use_kt",
        )
        found[F.PURPOSE] = _purpose(reader)
        if reader.value("stage") == "pt":
            found[F.FULL_REASONS] = ["`stage: pt`: continued pre-training"]
        megatron = set(reader.keys()) & _MEGATRON
        found[F.OPTIONS] = option_scope(
            reader,
            "llamafactory",
            related=("transformers",),
            open_keys=(
                "LLaMA-Factory runs the file on its Megatron path (USE_MCA=1), whose "
                "mcore_adapter arguments tunelint has no table for"
            )
            if megatron
            else None,
        )
        return reader.mapped(found, related)

    @staticmethod
    def _model(reader: KeyReader) -> None:
        name = reader.value("model_name_or_path")
        reader.put(("model", "name"), name if isinstance(name, str) else "", "model_name_or_path")
        revision = reader.value("model_revision")
        if isinstance(revision, str):
            reader.put(("model", "revision"), revision, "model_revision")
        cutoff = as_int(reader.value("cutoff_len"))
        reader.put(
            ("model", "max_seq_len"), cutoff if cutoff and cutoff > 0 else 2048, "cutoff_len"
        )
        trust = as_bool(reader.value("trust_remote_code"))
        if trust is not None:
            reader.put(("model", "trust_remote_code"), trust, "trust_remote_code")
        bits = as_int(reader.value("quantization_bit"))
        if bits in (4, 8):
            reader.put(("model", "quantization"), f"{bits}bit", "quantization_bit")
        attention = reader.value("flash_attn")
        if isinstance(attention, str) and attention in _FLASH_ATTN:
            reader.put(("model", "attn_implementation"), _FLASH_ATTN[attention], "flash_attn")

    @staticmethod
    def _method(reader: KeyReader) -> None:
        stage = reader.value("stage")
        kind = _STAGES.get(stage, "sft") if isinstance(stage, str) else "sft"
        loss = reader.value("pref_loss")
        if kind == "dpo" and loss == "orpo":
            kind = "orpo"
        reader.put(("method", "kind"), kind, "stage")
        beta = as_float(reader.value("pref_beta"))
        if kind in ("dpo", "orpo", "kto"):
            reader.put(("method", "beta"), beta if beta and beta > 0 else 0.1, "pref_beta")
        reward = reader.value("reward_model")
        if isinstance(reward, str) and reward.strip():
            reader.put(("method", "reward_model"), reward, "reward_model")
        fmt = {"dpo": "preference", "orpo": "preference", "reward": "preference"}.get(kind)
        if kind == "kto":
            fmt = "unpaired-preference"
        dataset = reader.value("dataset")
        if isinstance(dataset, str) and dataset.strip():
            reader.put(("data", "train"), dataset, "dataset")
            if fmt:
                reader.put(("data", "format"), fmt)
            evaluation = reader.value("eval_dataset")
            if isinstance(evaluation, str) and evaluation.strip():
                reader.put(("data", "eval"), evaluation, "eval_dataset")

    @staticmethod
    def _peft(reader: KeyReader, found: dict[str, Any]) -> None:
        kind = reader.value("finetuning_type")
        if kind is None:
            kind = "lora"  # LLaMA-Factory's default
        if kind in ("full", "freeze"):
            # freeze trains the last `freeze_trainable_layers` blocks (default 2) in full.
            reader.put(("peft", "kind"), "full", "finetuning_type")
            partial = [f"finetuning_type: {kind}"] if kind == "freeze" else []
            # BAdam updates one block at a time; GaLore/APOLLO project the optimizer state
            # (finetuning_args.py: only with full/freeze, never with lora).
            partial += [
                k for k in ("use_badam", "use_galore", "use_apollo") if as_bool(reader.value(k))
            ]
            if partial:
                found[F.PARTIAL] = ", ".join(partial)
            return
        if kind != "lora":
            return  # oft: no Plan kind for it (see the module docs)
        plan_kind = "lora"
        if as_bool(reader.value("use_dora")):
            plan_kind = "dora"
        elif reader.get(("model", "quantization")) == "4bit":
            plan_kind = "qlora"
        reader.put(("peft", "kind"), plan_kind, "finetuning_type")
        rank = as_int(reader.value("lora_rank")) or 8
        reader.put(("peft", "r"), rank, "lora_rank")
        alpha = as_float(reader.value("lora_alpha"))
        reader.put(
            ("peft", "alpha"), alpha if alpha and alpha > 0 else float(rank * 2), "lora_alpha"
        )
        dropout = as_float(reader.value("lora_dropout"))
        reader.put(
            ("peft", "dropout"),
            dropout if dropout is not None and 0 <= dropout < 1 else 0.0,
            "lora_dropout",
        )
        saved = string_list(reader.value("additional_target"))  # modules_to_save of LoRA
        if saved:
            reader.put(("peft", "modules_to_save"), saved, "additional_target")
        targets = _targets(reader.value("lora_target"))
        reader.put(("peft", "target_modules"), targets or "all-linear", "lora_target")

    @staticmethod
    def _precision(reader: KeyReader, found: dict[str, Any]) -> None:
        bf16 = as_bool(reader.value("bf16")) or as_bool(reader.value("pure_bf16"))
        fp16 = as_bool(reader.value("fp16"))
        if bf16 and fp16:
            key = "bf16" if reader.has("bf16") else "pure_bf16"
            found[F.BOTH_PRECISIONS] = [PrecisionPair(reader.ref("fp16"), reader.ref(key))]
        if bf16:
            reader.put(
                ("precision",), "bf16", "bf16" if as_bool(reader.value("bf16")) else "pure_bf16"
            )
        elif fp16:
            reader.put(("precision",), "fp16", "fp16")
        if (bf16 or fp16) and (
            as_bool(reader.value("pure_bf16")) or as_bool(reader.value("use_badam"))
        ):
            # model/adapter.py init_adapter: pure_bf16 / BAdam keep the trainable parameters
            # in half precision (no fp32 cast for full tuning).
            found[F.WEIGHTS_DTYPE] = "bf16" if bf16 else "fp16"
        if not (bf16 or fp16):
            # No half-precision flag: LLaMA-Factory computes in fp32.
            key = ("bf16",) if reader.has("bf16") else ("fp16",) if reader.has("fp16") else ()
            reader.put(("precision",), "fp32", *key)

    @staticmethod
    def _training(reader: KeyReader) -> None:
        read_fields(
            reader,
            [
                *hf_training_fields(learning_rate=5e-5),
                (("training", "warmup_ratio"), "warmup_ratio", as_float, None),
                (("training", "warmup_steps"), "warmup_steps", as_int, None),
            ],
        )
        reader.default(("training", "lr_scheduler"), "linear")
        scheduler = reader.value("lr_scheduler_type")
        if isinstance(scheduler, str):
            reader.put(("training", "lr_scheduler"), scheduler, "lr_scheduler_type")
        optim = reader.value("optim")
        if isinstance(optim, str) and optim in _OPTIMIZERS:
            reader.put(("training", "optimizer"), _OPTIMIZERS[optim], "optim")
        elif optim is not None:
            reader.unmapped.add(("training", "optimizer"))
        packing = as_bool(reader.value("packing")) or as_bool(reader.value("neat_packing"))
        if packing is not None:
            key = "packing" if reader.has("packing") else "neat_packing"
            reader.put(("training", "sample_packing"), packing, key)
        # model_args.py: Liger kernels (fused linear cross-entropy among them); Unsloth's
        # gradient checkpointing offloads the saved activations to CPU.
        put_switches(
            reader,
            [
                (("training", "chunked_loss"), "enable_liger_kernel"),
                (("training", "activation_offloading"), "use_unsloth_gc"),
            ],
        )
        disabled = as_bool(reader.value("disable_gradient_checkpointing"))
        reader.put(
            ("training", "gradient_checkpointing"), not disabled, "disable_gradient_checkpointing"
        )

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def _render_precision(doc: Document, precision: Any) -> list[TextEdit] | None:
    if precision == "bf16":
        return switch_flag(doc, "bf16", ("fp16",))
    if precision == "fp16":
        return switch_flag(doc, "fp16", ("bf16", "pure_bf16"))
    if precision == "fp32":
        return flags_off(doc, ("bf16", "fp16", "pure_bf16"))
    return None


def _render_stage(doc: Document, kind: Any) -> list[TextEdit] | None:
    """`stage: ppo` -> `stage: dpo` with what DPO needs (pref_beta, pref_loss), PPO keys gone."""
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    stage = {
        "sft": "sft",
        "dpo": "dpo",
        "orpo": "dpo",
        "kto": "kto",
        "reward": "rm",
        "ppo": "ppo",
    }.get(kind)
    if stage is None:
        return None
    edits = set_key(doc, ("stage",), stage) or []
    if kind != "ppo":
        edits += remove_keys(doc, *[(k,) for k in _PPO_KEYS])
        edits += remove_keys(doc, *[(k,) for k in top_level_keys(doc) if k.startswith("ppo_")])
    if kind in ("dpo", "orpo", "kto"):
        needed: list[tuple[str, Any]] = []
        if root.get("pref_beta") is None:
            needed.append(("pref_beta", 0.1))
        loss = "orpo" if kind == "orpo" else "sigmoid"
        if kind != "kto":
            if root.get("pref_loss") is None:
                needed.append(("pref_loss", loss))
            elif kind == "orpo" or root.get("pref_loss").value.plain() == "orpo":  # type: ignore[union-attr]
                edits += set_key(doc, ("pref_loss",), loss) or []
        if needed:
            inserted = insert_after(doc, ("stage",), needed) if root.get("stage") else None
            if inserted is None:
                return None
            edits += inserted
    return edits


def _render_peft(doc: Document, kind: Any) -> list[TextEdit] | None:
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    if kind == "full":
        return set_key(doc, ("finetuning_type",), "full")
    if kind not in ("lora", "qlora", "dora"):
        return None
    edits = set_key(doc, ("finetuning_type",), "lora") or []
    extra: list[tuple[str, Any]] = []
    if root.get("lora_target") is None:
        extra.append(("lora_target", "all"))
    if kind == "qlora" and root.get("quantization_bit") is None:
        extra.append(("quantization_bit", 4))
    if kind == "dora" and root.get("use_dora") is None:
        extra.append(("use_dora", True))
    if extra:
        if root.get("finetuning_type") is None:
            return None  # nowhere natural to put the block; leave it to the user
        edits += insert_after(doc, ("finetuning_type",), extra) or []
    return edits


def _render_quantization(doc: Document, value: Any) -> list[TextEdit] | None:
    if value in ("4bit", "8bit"):
        return set_key(doc, ("quantization_bit",), int(value[0]))
    return remove_keys(doc, ("quantization_bit",), ("quantization_method",))


def _render_checkpointing(doc: Document, on: Any) -> list[TextEdit] | None:
    """LLaMA-Factory checkpoints by default: only `disable_gradient_checkpointing` is written."""
    if on:
        return remove_keys(doc, ("disable_gradient_checkpointing",))
    return set_key(doc, ("disable_gradient_checkpointing",), True)


RENDER = RenderTable(
    set={
        **SIMPLE,
        ("precision",): _render_precision,
        ("method", "kind"): _render_stage,
        ("peft", "kind"): _render_peft,
        ("model", "quantization"): _render_quantization,
        ("model", "attn_implementation"): ToKey(
            ("flash_attn",), {v: k for k, v in _FLASH_ATTN.items()}, only=True
        ),
        ("training", "gradient_checkpointing"): _render_checkpointing,
        ("training", "optimizer"): ToKey(("optim",), {"adamw_8bit": "adamw_bnb_8bit"}),
    },
    remove={
        **removals(SIMPLE),
        # Online RL without a reward model: the PPO keys go with it.
        ("method", "reward_model"): tuple((k,) for k in _PPO_KEYS),
    },
)
