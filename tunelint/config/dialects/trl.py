"""TRL configs (`trl sft --config cfg.yaml`, alignment-handbook recipes): HF TrainingArguments,
a TRL trainer config and TRL's ModelConfig (`use_peft`, `lora_r`, `load_in_4bit`, `dtype`) in
one flat mapping.

The file does not say the method: the command does (`trl dpo`). It is read, strongest
evidence first, from keys only one trainer's config class has (data/trl_method_keys.txt,
generated from the TRL option table: `desirable_weight` is KTOConfig's), the file's own name
(`dpo_config.yaml`), its folders nearest first (`recipes/zephyr/dpo/config_qlora.yaml`),
keys several trainers share (`num_generations`, `beta`), else SFT; the `method_from` fact
says which decided. TRL defaults are filled in where the Plan's differ (bf16 on,
batch 8 per device, gradient checkpointing on, `max_length` 1024).

Keys the pinned TRL / transformers no longer accept are listed with their replacement; the
`trl` CLI passes unknown keys to `accelerate launch`, which refuses them. Numbers such as
`2e-5` are strings to PyYAML; the `trl` CLI and TrlParser scripts convert them back,
`HfArgumentParser.parse_yaml_file` (used by many training scripts) does not: the project's
scripts say which reads the file (tunelint.config.dialects.trl_loader), else it is assumed.

Argument names are those of the installed TRL 1.16 and transformers 5.24
(data/trl_fields.txt, data/training_arguments.txt, from dataclasses.fields()): a file with
many keys neither knows is another project's HfArgumentParser config, not TRL's.
`use_liger_kernel` and `torch_compile` (TrainingArguments) and `lora_modules_to_save`
(trl.ModelConfig) map onto the Plan's memory fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.accelerate import attach_accelerate
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.deepspeed import attach_deepspeed
from tunelint.config.dialects.facts import PrecisionPair
from tunelint.config.dialects.option_scope import framework_key_names, option_scope
from tunelint.config.dialects.reader import (
    ZERO_OK,
    KeyReader,
    as_bool,
    as_float,
    as_int,
    dtype_name,
    hf_training_fields,
    put_switches,
    read_fields,
    string_list,
)
from tunelint.config.dialects.rendering import (
    RenderTable,
    ToKey,
    flags_off,
    removals,
    render_fix,
    set_key,
    switch_flag,
)
from tunelint.config.dialects.score import marker_score
from tunelint.config.dialects.trl_loader import loader_evidence, model_keys_evidence
from tunelint.config.document import Document, Mapping
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_MARKERS = {
    "model_name_or_path": 0.3,
    "dataset_name": 0.25,
    "use_peft": 0.25,
    "per_device_train_batch_size": 0.15,
    "num_train_epochs": 0.1,
    "lr_scheduler_type": 0.1,
    "output_dir": 0.05,
    "learning_rate": 0.05,
    "gradient_accumulation_steps": 0.05,
    "torch_dtype": 0.1,
    "dtype": 0.05,
    "lora_target_modules": 0.05,
    "dataset_mixture": 0.2,
    "dataset_mixer": 0.2,
    "max_seq_length": 0.05,
    "max_length": 0.05,
    "report_to": 0.05,
    "hub_model_id": 0.05,
    "bf16": 0.03,
    "optim": 0.05,
}
# Keys of other formats: with them, this is not a TRL file.
_FOREIGN = {
    "stage",
    "finetuning_type",
    "template",
    "cutoff_len",
    "base_model",
    "sequence_len",
    "micro_batch_size",
    "compute_environment",
    "distributed_type",
    "zero_optimization",
}
_METHODS = ("grpo", "rloo", "dpo", "kto", "orpo", "ppo", "reward", "sft")
_TOKEN = re.compile(r"[^a-z0-9]+")
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
# The option-table section of a method: the `trl <method>` script's parsed dataclasses;
# methods without a script of their own read their config class plus TRL's shared ones.
_SECTIONS = {"orpo": "ORPOConfig", "ppo": "PPOConfig"}
# ModelConfig's model-loading keys (trl/trainer/model_config.py, 1.16).
_MODEL_LOADING_KEYS = ("load_in_4bit", "load_in_8bit", "dtype", "torch_dtype")
_ATTENTION = ("eager", "sdpa", "flash_attention_2", "flash_attention_3")
SIMPLE: dict[PlanPath, tuple[str, ...]] = {
    ("model", "name"): ("model_name_or_path",),
    ("model", "revision"): ("model_revision",),
    ("model", "max_seq_len"): ("max_length",),
    ("model", "trust_remote_code"): ("trust_remote_code",),
    ("model", "attn_implementation"): ("attn_implementation",),
    ("method", "beta"): ("beta",),
    ("method", "num_generations"): ("num_generations",),
    ("method", "reward_model"): ("reward_model_path",),
    ("method", "precompute_ref_log_probs"): ("precompute_ref_log_probs",),
    ("method", "teacher_model"): ("teacher_model_name_or_path",),
    ("method", "vllm_gpu_memory_utilization"): ("vllm_gpu_memory_utilization",),
    ("peft", "r"): ("lora_r",),
    ("peft", "alpha"): ("lora_alpha",),
    ("peft", "dropout"): ("lora_dropout",),
    ("peft", "target_modules"): ("lora_target_modules",),
    ("training", "epochs"): ("num_train_epochs",),
    ("training", "max_steps"): ("max_steps",),
    ("training", "learning_rate"): ("learning_rate",),
    ("training", "micro_batch_size"): ("per_device_train_batch_size",),
    ("training", "gradient_accumulation_steps"): ("gradient_accumulation_steps",),
    ("training", "gradient_checkpointing"): ("gradient_checkpointing",),
    ("training", "optimizer"): ("optim",),
    ("training", "lr_scheduler"): ("lr_scheduler_type",),
    ("training", "warmup_steps"): ("warmup_steps",),
    ("training", "weight_decay"): ("weight_decay",),
    ("training", "max_grad_norm"): ("max_grad_norm",),
    ("training", "sample_packing"): ("packing",),
    ("training", "seed"): ("seed",),
    ("training", "logging_steps"): ("logging_steps",),
    ("training", "save_steps"): ("save_steps",),
    ("data", "train"): ("dataset_name",),
    ("output", "dir"): ("output_dir",),
}
_DEFAULT_LR = {"sft": 2e-5, "reward": 1e-4}  # TRL 1.16 config defaults; others 1e-6


@cache
def _method_keys() -> dict[str, str]:
    """Key -> the one method whose trainer has it (data/trl_method_keys.txt)."""
    text = (Path(__file__).parent / "data" / "trl_method_keys.txt").read_text(encoding="utf-8")
    pairs = (line.split() for line in text.splitlines() if line and line[0] != "#")
    return {key: method for method, key in pairs}


def _named_method(name: str) -> str | None:
    tokens = _TOKEN.split(name.lower())
    for method in _METHODS:
        if method in tokens or (method == "reward" and "rm" in tokens):
            return method
    return None


def infer_method(reader: KeyReader) -> tuple[str, str]:
    """The method and what decided it, strongest evidence first: keys only one trainer has
    (set, not switched off), the file's own name, its folders nearest first, keys several
    trainers share, else SFT (`trl sft`)."""
    only = _method_keys()
    votes: dict[str, list[str]] = {}
    written = list(reader.keys())  # in file order: the message names the first
    for key in written:
        if key in only and reader.value(key) not in (None, False, "", [], {}):
            votes.setdefault(only[key], []).append(key)
    if len(votes) == 1:
        [(method, keys)] = votes.items()
        return method, f"`{keys[0]}`, which only TRL's {method} trainer has"
    path = Path(reader.doc.filename)
    named = _named_method(path.stem)
    if named is not None:
        return named, f"the file name `{path.name}`"
    for folder in reversed(path.parent.parts):
        named = _named_method(folder)
        if named is not None:
            return named, f"the folder name `{folder}`"
    keys = set(written)
    shared: tuple[tuple[set[str], str], ...] = (
        (
            {"num_generations", "reward_funcs", "steps_per_generation", "generation_batch_size"},
            "grpo",
        ),
        ({"reward_model_path"}, "ppo"),
        ({"beta", "max_prompt_length", "precompute_ref_log_probs", "rpo_alpha"}, "dpo"),
    )
    for markers, method in shared:
        if keys & markers:
            return method, f"`{sorted(keys & markers)[0]}`"
    return "sft", "no method-specific key or name (`trl sft`)"


def _vllm(reader: KeyReader) -> None:
    """GRPO/RLOO generation (trl/trainer/grpo_config.py, rloo_config.py, TRL 1.16):
    `use_vllm` off by default; on, `vllm_mode` defaults to "colocate", whose share of the
    GPU is `vllm_gpu_memory_utilization` (default 0.3, filled in by the estimate)."""
    if not as_bool(reader.value("use_vllm")):
        return
    mode = reader.value("vllm_mode")
    if mode in ("colocate", "server"):
        reader.put(("method", "vllm_mode"), mode, "vllm_mode")
    else:
        reader.put(("method", "vllm_mode"), "colocate", "use_vllm")
    share = as_float(reader.value("vllm_gpu_memory_utilization"))
    if share is not None and 0 < share <= 1:
        reader.put(("method", "vllm_gpu_memory_utilization"), share, "vllm_gpu_memory_utilization")


# Another project's HfArgumentParser config (open-instruct, ...) has at least FOREIGN_KEYS_MIN
# keys no TRL, transformers or accelerate release has, outnumbering the keys only TRL has or
# making up more than FOREIGN_SHARE of the file. Wrappers of TRL (alignment-handbook, open-r1's
# recipes) add a few arguments of their own and keep TRL's.
FOREIGN_KEYS_MIN = 5
FOREIGN_SHARE = 0.2


@cache
def _field_names(name: str) -> frozenset[str]:
    text = (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line and line[0] != "#")


def other_parser_project(keys: set[str]) -> bool:
    """Whether the keys say the file belongs to another HfArgumentParser project."""
    trl_own = _field_names("trl_fields.txt")
    unknown = keys - trl_own - _field_names("training_arguments.txt")
    if len(unknown) < FOREIGN_KEYS_MIN:
        return False  # decided from the small field lists, without the option tables
    # Keys of older TRL / transformers releases and `accelerate launch` arguments (the `trl`
    # CLI passes on what its parser leaves) are TRL's too: the option tables know them.
    unknown -= framework_key_names("trl", "transformers", "accelerate")
    if len(unknown) < FOREIGN_KEYS_MIN:
        return False
    return len(unknown) > len(keys & trl_own) or len(unknown) > FOREIGN_SHARE * len(keys)


def detect_trl(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    keys = set(root.keys())
    if keys & _FOREIGN or other_parser_project(keys):
        return 0.2 if "model_name_or_path" in keys else 0.0
    return marker_score(
        keys, _MARKERS, requires=("model_name_or_path",), cap_without=0.4, ceiling=0.95
    )


class TrlDialect:
    name = "trl"
    label = "TRL / alignment-handbook"

    def detect(self, doc: Document) -> float:
        return detect_trl(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        method, method_from = infer_method(reader)
        found: dict[str, Any] = {
            F.METHOD_FROM: f"{method}, from {method_from}",
            F.TRAINER: "trl",
            F.LOADER: F.JSON,
            # TRL scripts run under `accelerate launch --config_file …`: ZeRO or FSDP comes
            # from that file unless this one names `deepspeed`/`fsdp` itself.
            F.SHARDING_OUTSIDE: not (reader.has("deepspeed") or reader.has("fsdp")),
        }
        related: dict[str, Document] = {}
        reader.put(("method", "kind"), method)
        self._model(reader, method, found)
        self._method(reader, method, found)
        self._peft(reader)
        self._precision(reader, found)
        self._training(reader, method)
        self._data(reader, method)
        self._hardware(reader, found, related)
        found[F.OPTIONS] = option_scope(
            reader,
            "trl",
            section=_SECTIONS.get(method, method),
            also=("ScriptArguments", "ModelConfig") if method in _SECTIONS else (),
            related=("transformers",),
            open_keys="the script that parses the file declares it as its own field",
            # trl/cli/commands/training.py (1.16): keys its parser leaves go to `accelerate
            # launch`, `accelerate_config` resolved to its --config_file first.
            launcher=("accelerate", ("accelerate_config",)),
        )
        found[F.YAML11_STRINGS] = reader.yaml11_strings()
        if doc.kind == "yaml":
            self._loader(doc, reader, found, look=bool(found[F.YAML11_STRINGS]))
        self._model_keys(doc, reader, found)
        R.read_wrap_classes(
            reader,
            found,
            ("fsdp_config", "transformer_layer_cls_to_wrap"),
            ("fsdp_transformer_layer_cls_to_wrap",),
        )
        R.read_split(reader, found, "dataset_name", "dataset_train_split", "train")
        return reader.mapped(found, related)

    @staticmethod
    def _loader(doc: Document, reader: KeyReader, found: dict[str, Any], look: bool) -> None:
        """TrlParser (the `trl` CLI) converts `2e-5`; HfArgumentParser.parse_yaml_file does
        not (tunelint.config.dialects.trl_loader); unknown: the latter, as an assumption.
        The project's scripts are read only when `look` (a value the loaders read apart)."""
        evidence = loader_evidence(doc.filename, set(reader.keys())) if look else None
        found[F.LOADER] = F.PYYAML_ARGPARSE if evidence and evidence.converts else F.PYYAML
        if evidence is None:
            found[F.LOADER_ASSUMED] = (
                "HfArgumentParser.parse_yaml_file loads the file; the `trl` CLI and TrlParser "
                "scripts convert such values"
            )

    @staticmethod
    def _model_keys(doc: Document, reader: KeyReader, found: dict[str, Any]) -> None:
        """4/8-bit loading and the weight dtype are ModelConfig keys: the `trl` CLI and TRL's
        scripts build the model from them (get_quantization_config), a project's own script
        may not. Findings that rest on them are certain only where a script says so."""
        if not any(reader.has(key) for key in _MODEL_LOADING_KEYS):
            return
        if model_keys_evidence(doc.filename) is None:
            found[F.MODEL_KEYS_ASSUMED] = (
                "the script loads the model from the file's ModelConfig keys, as the `trl` CLI does"
            )

    @staticmethod
    def _model(reader: KeyReader, method: str, found: dict[str, Any]) -> None:
        name = reader.value("model_name_or_path")
        reader.put(("model", "name"), name if isinstance(name, str) else "", "model_name_or_path")
        revision = reader.value("model_revision")
        if isinstance(revision, str):
            reader.put(("model", "revision"), revision, "model_revision")
        for key in ("max_length", "max_seq_length"):
            length = as_int(reader.value(key))
            if length is not None and length > 0:
                reader.put(("model", "max_seq_len"), length, key)
                break
        else:
            if method in ("sft", "dpo", "kto", "reward"):
                reader.put(("model", "max_seq_len"), 1024)  # TRL's default max_length
        trust = as_bool(reader.value("trust_remote_code"))
        if trust is not None:
            reader.put(("model", "trust_remote_code"), trust, "trust_remote_code")
        four, eight = as_bool(reader.value("load_in_4bit")), as_bool(reader.value("load_in_8bit"))
        if four:
            reader.put(("model", "quantization"), "4bit", "load_in_4bit")
            storage = reader.value("bnb_4bit_quant_storage")
            found[F.QUANT_STORAGE] = storage if isinstance(storage, str) else None
            found[F.QUANT_STORAGE_KEY] = reader.ref("bnb_4bit_quant_storage")
        elif eight:
            reader.put(("model", "quantization"), "8bit", "load_in_8bit")
        attention = reader.value("attn_implementation")
        if attention in _ATTENTION:
            reader.put(("model", "attn_implementation"), attention, "attn_implementation")
        # The CLI's `dtype` (ModelConfig) or the trainer's `model_init_kwargs.dtype`: without
        # either, TRL >= 0.27 loads the model in fp32 (knowledge/memory_stack.py).
        for keys in (
            ("dtype",),
            ("torch_dtype",),
            ("model_init_kwargs", "dtype"),
            ("model_init_kwargs", "torch_dtype"),
        ):
            value = reader.value(*keys)
            weights = "auto" if value == "auto" else dtype_name(value)
            if weights is not None:
                found[F.WEIGHTS_DTYPE] = weights  # "auto": the checkpoint's dtype
                break

    @staticmethod
    def _method(reader: KeyReader, method: str, found: dict[str, Any]) -> None:
        beta = as_float(reader.value("beta"))
        if beta is not None and beta > 0:
            reader.put(("method", "beta"), beta, "beta")
        if method in ("grpo", "rloo"):
            generations = as_int(reader.value("num_generations"))
            if generations is not None and generations >= 1:
                reader.put(("method", "num_generations"), generations, "num_generations")
            else:
                reader.put(("method", "num_generations"), 8 if method == "grpo" else 2)
            for fact, key in (
                (F.STEPS_PER_GENERATION, "steps_per_generation"),
                (F.GENERATION_BATCH_SIZE, "generation_batch_size"),
            ):
                value = as_int(reader.value(key))
                if value is not None:
                    found[fact] = value
            _vllm(reader)
        reward = reader.value("reward_model_path")
        if isinstance(reward, str) and reward.strip():
            reader.put(("method", "reward_model"), reward, "reward_model_path")
        # trl/trainer/distillation_config.py (TRL 1.16): the teacher the student learns from.
        teacher = reader.value("teacher_model_name_or_path")
        if isinstance(teacher, str) and teacher.strip():
            reader.put(("method", "teacher_model"), teacher, "teacher_model_name_or_path")
        if as_bool(reader.value("precompute_ref_log_probs")):
            reader.put(("method", "precompute_ref_log_probs"), True, "precompute_ref_log_probs")

    @staticmethod
    def _peft(reader: KeyReader) -> None:
        if not as_bool(reader.value("use_peft")):
            # No adapter: every weight trains. Shown at the model when `use_peft` is absent.
            key = "use_peft" if reader.has("use_peft") else "model_name_or_path"
            reader.put(("peft", "kind"), "full", key)
            return
        kind = "lora"
        if as_bool(reader.value("use_dora")):
            kind = "dora"
        elif reader.get(("model", "quantization")) == "4bit":
            kind = "qlora"
        reader.put(("peft", "kind"), kind, "use_peft")
        saved = string_list(reader.value("lora_modules_to_save"))  # TRL ModelConfig
        if saved:
            reader.put(("peft", "modules_to_save"), saved, "lora_modules_to_save")
        for path, key, convert, default in (
            (("peft", "r"), "lora_r", as_int, 16),
            (("peft", "alpha"), "lora_alpha", as_float, 32.0),
            (("peft", "dropout"), "lora_dropout", as_float, 0.05),
        ):
            value = convert(reader.value(key))
            ok = (
                value is not None
                and (value > 0 or key in ZERO_OK)
                and (key != "lora_dropout" or value < 1)
            )
            reader.put(path, value if ok else default, key)
        modules = reader.value("lora_target_modules")
        if (isinstance(modules, str) and modules) or (
            isinstance(modules, list) and modules and all(isinstance(m, str) for m in modules)
        ):
            reader.put(("peft", "target_modules"), modules, "lora_target_modules")

    @staticmethod
    def _precision(reader: KeyReader, found: dict[str, Any]) -> None:
        bf16, fp16 = as_bool(reader.value("bf16")), as_bool(reader.value("fp16"))
        if bf16 and fp16:
            found[F.BOTH_PRECISIONS] = [PrecisionPair(reader.ref("fp16"), reader.ref("bf16"))]
        if bf16:
            reader.put(("precision",), "bf16", "bf16")
        elif fp16:
            reader.put(("precision",), "fp16", "fp16")
        elif bf16 is False:
            reader.put(("precision",), "fp32", "bf16")
        else:
            reader.put(("precision",), "bf16")  # TRL: bf16 unless fp16 is set

    @staticmethod
    def _training(reader: KeyReader, method: str) -> None:
        read_fields(reader, hf_training_fields(learning_rate=_DEFAULT_LR.get(method, 1e-6)))
        warmup = as_float(reader.value("warmup_steps"))
        if warmup is not None and 0 < warmup < 1:
            reader.put(("training", "warmup_ratio"), warmup, "warmup_steps")
        elif warmup is not None and warmup >= 0 and warmup.is_integer():
            reader.put(("training", "warmup_steps"), int(warmup), "warmup_steps")
        ratio = as_float(reader.value("warmup_ratio"))
        if ratio is not None and 0 <= ratio <= 1:
            reader.put(("training", "warmup_ratio"), ratio, "warmup_ratio")
        scheduler = reader.value("lr_scheduler_type")
        reader.put(
            ("training", "lr_scheduler"),
            scheduler if isinstance(scheduler, str) else "linear",
            "lr_scheduler_type",
        )
        optim = reader.value("optim")
        if isinstance(optim, str) and optim in _OPTIMIZERS:
            reader.put(("training", "optimizer"), _OPTIMIZERS[optim], "optim")
        elif optim is not None:
            reader.unmapped.add(("training", "optimizer"))
        checkpointing = as_bool(reader.value("gradient_checkpointing"))
        reader.put(
            ("training", "gradient_checkpointing"),
            True if checkpointing is None else checkpointing,  # TRL's default: on
            "gradient_checkpointing",
        )
        packing = as_bool(reader.value("packing"))
        if packing is not None:
            reader.put(("training", "sample_packing"), packing, "packing")
        # transformers TrainingArguments: Liger's fused linear cross-entropy; torch.compile.
        put_switches(
            reader,
            [
                (("training", "chunked_loss"), "use_liger_kernel"),
                (("training", "compile"), "torch_compile"),
            ],
        )

    @staticmethod
    def _data(reader: KeyReader, method: str) -> None:
        TrlDialect._train_data(reader)
        # The record layout only describes data the file names: a project that reads its
        # data its own way (script arguments such as `train_dir`) gets no data section.
        if reader.get(("data", "train")) is None:
            return
        if method in ("dpo", "orpo", "reward"):
            reader.put(("data", "format"), "preference")
        elif method == "kto":
            reader.put(("data", "format"), "unpaired-preference")

    @staticmethod
    def _train_data(reader: KeyReader) -> None:
        name = reader.value("dataset_name")
        if isinstance(name, str) and name.strip():
            reader.put(("data", "train"), name, "dataset_name")
            return
        mixture = reader.node("dataset_mixture", "datasets")  # alignment-handbook recipes
        first = (
            mixture.items[0]
            if mixture is not None and hasattr(mixture, "items") and mixture.items
            else None
        )
        if isinstance(first, Mapping) and first.get("id") is not None:
            reader.put(("data", "train"), str(first.get("id").value.plain()), "dataset_mixture")  # type: ignore[union-attr]
            return
        mixer = reader.node("dataset_mixer")  # older alignment-handbook recipes
        if isinstance(mixer, Mapping) and mixer.entries:
            reader.put(("data", "train"), str(mixer.entries[0].key.value), "dataset_mixer")

    @staticmethod
    def _hardware(reader: KeyReader, found: dict[str, Any], related: dict[str, Document]) -> None:
        processes = as_int(reader.value("num_processes"))  # passed on to `accelerate launch`
        if processes is not None and processes > 0:
            reader.put(("hardware", "count"), processes, "num_processes")
        if reader.has("accelerate_config"):
            acc = attach_accelerate(reader, ("accelerate_config",), related)
            if acc is not None and acc.values:
                found.setdefault(F.DEEPSPEED_VALUES, []).extend(acc.values)
        fsdp = reader.value("fsdp")
        fsdp_on = bool(fsdp) if isinstance(fsdp, (str, list)) else False
        deepspeed = reader.value("deepspeed")
        if deepspeed and fsdp_on:
            found[F.DEEPSPEED_AND_FSDP] = (reader.key_ref("deepspeed"), reader.key_ref("fsdp"))
        elif fsdp_on:
            reader.put(("hardware", "distributed"), "fsdp", "fsdp")
        if isinstance(deepspeed, str) and deepspeed.strip():
            ds = attach_deepspeed(reader, ("deepspeed",), related)
            if ds is not None:
                found.setdefault(F.DEEPSPEED_VALUES, []).extend(ds.values)
                if ds.both_precisions:
                    found.setdefault(F.BOTH_PRECISIONS, []).append(ds.both_precisions)

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def _render_precision(doc: Document, precision: Any) -> list[TextEdit] | None:
    if precision == "bf16":
        return switch_flag(doc, "bf16", ("fp16",))
    if precision == "fp16":
        # TRL turns bf16 on unless fp16 is set; an explicit `bf16: true` must go.
        return switch_flag(doc, "fp16", ("bf16",))
    if precision == "fp32":
        # bf16 is TRL's default: it has to be switched off explicitly.
        return (set_key(doc, ("bf16",), False) or []) + flags_off(doc, ("fp16",))
    return None


def _render_peft(doc: Document, kind: Any) -> list[TextEdit] | None:
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    if kind == "full":
        return set_key(doc, ("use_peft",), False) if root.get("use_peft") else []
    if kind not in ("lora", "qlora", "dora"):
        return None
    edits = set_key(doc, ("use_peft",), True) or []
    if root.get("lora_target_modules") is None:
        edits += set_key(doc, ("lora_target_modules",), "all-linear") or []
    if kind == "qlora":
        edits += set_key(doc, ("load_in_4bit",), True) or []
    if kind == "dora":
        edits += set_key(doc, ("use_dora",), True) or []
    return edits


def _render_quantization(doc: Document, quantization: Any) -> list[TextEdit] | None:
    root = doc.root
    if not isinstance(root, Mapping) or quantization not in ("4bit", "8bit", "none"):
        return None
    wanted = {"4bit": "load_in_4bit", "8bit": "load_in_8bit"}.get(quantization)
    edits: list[TextEdit] = []
    for key in ("load_in_4bit", "load_in_8bit"):
        if key == wanted:
            edits += set_key(doc, (key,), True) or []
        elif root.get(key) is not None:
            edits += set_key(doc, (key,), False) or []
    return edits


RENDER = RenderTable(
    set={
        **SIMPLE,
        ("precision",): _render_precision,
        ("peft", "kind"): _render_peft,
        ("model", "quantization"): _render_quantization,
        # A ratio is a `warmup_steps` below 1 (transformers 5.2).
        ("training", "warmup_ratio"): ToKey(("warmup_steps",)),
        ("training", "optimizer"): ToKey(("optim",), {"adamw_8bit": "adamw_bnb_8bit"}),
        # ("method", "kind") is absent: the method is the `trl <command>`, not a key.
    },
    remove={**removals(SIMPLE), ("training", "warmup_ratio"): (("warmup_ratio",),)},
)
