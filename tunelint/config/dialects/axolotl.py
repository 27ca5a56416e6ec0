"""axolotl configs (`axolotl train config.yml`): one flat YAML mapping of `base_model`,
`adapter`, `load_in_4bit`, `datasets`, `micro_batch_size`, `bf16`... onto the Plan.

axolotl validates its config with pydantic, so numbers written `2e-5` are converted back to
floats (no YAML 1.1 finding here). Its `bf16: auto` resolves on the training machine: bf16 where
the GPU has it, else fp16; the Plan leaves precision unset (the GPU decides) and points it at
the `bf16` key; a config with no `bf16` key is `auto` too (the schema's default). A `deepspeed:` JSON is read with the config (cross-file findings).

Meanings read from axolotl's source at v0.18.0+9 (commit 067b021c8):
- src/axolotl/utils/config/__init__.py `resolve_dtype` and core/builders/base.py
  `_configure_precision_settings`: `bfloat16: true` loads bf16 weights and turns the
  Trainer's bf16 on; `float16: true` loads fp16 weights with the Trainer's fp16 flag off —
  pure half precision with no AMP and no loss scaling (not fp32).
- utils/freeze.py: `unfrozen_parameters` freezes every parameter but the listed patterns
  (partial training); with an empty `adapter` no adapter is made and lora_* keys do nothing.
- utils/schemas/config.py: `quantize_moe_experts`, `activation_offloading`, `torch_compile`,
  `lora_modules_to_save`, `fp8`, `val_set_size` (a fraction below 1); integrations/
  cut_cross_entropy and liger args: the fused / chunked cross-entropy switches.
- cli/config.py: the file is read with `yaml.safe_load`, then validated by pydantic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.deepspeed import attach_deepspeed
from tunelint.config.dialects.facts import PrecisionPair
from tunelint.config.dialects.option_scope import option_scope
from tunelint.config.dialects.reader import (
    KeyReader,
    as_bool,
    as_float,
    as_int,
    put_switches,
    string_list,
)
from tunelint.config.dialects.rendering import (
    RenderTable,
    ToKey,
    flags_off,
    insert_after,
    nothing,
    removals,
    remove_keys,
    render_fix,
    set_key,
    switch_flag,
)
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping, Sequence
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_MARKERS = {
    "base_model": 0.45,
    "sequence_len": 0.2,
    "micro_batch_size": 0.15,
    "num_epochs": 0.1,
    "adapter": 0.1,
    "lora_target_linear": 0.15,
    "sample_packing": 0.1,
    "val_set_size": 0.1,
    "dataset_prepared_path": 0.15,
    "datasets": 0.05,
    "special_tokens": 0.05,
    "wandb_project": 0.05,
    "load_in_4bit": 0.03,
    "load_in_8bit": 0.03,
    "rl": 0.05,
    "base_model_config": 0.1,
    "tokenizer_type": 0.05,
    "evals_per_epoch": 0.1,
    "saves_per_epoch": 0.1,
}
_OPTIMIZERS = {
    "adamw_bnb_8bit": "adamw_8bit",
    "adamw_8bit": "adamw_8bit",
    "paged_adamw_8bit": "paged_adamw_8bit",
    "paged_adamw_32bit": "paged_adamw_32bit",
    "adamw_torch": "adamw_torch",
    "adamw_torch_fused": "adamw_torch_fused",
    "adafactor": "adafactor",
    "sgd": "sgd",
}
_RL = {"dpo": "dpo", "ipo": "dpo", "simpo": "dpo", "orpo": "orpo", "kto": "kto", "grpo": "grpo"}
_ATTENTION = ("eager", "sdpa", "flash_attention_2", "flash_attention_3")
_LEGACY_ATTENTION = (
    ("flash_attention", "flash_attention_2"),
    ("sdp_attention", "sdpa"),
    ("eager_attention", "eager"),
)
_ZERO_OK = {"warmup_steps", "warmup_ratio", "weight_decay", "seed"}
# Plan fields that are one axolotl key holding the same value.
SIMPLE: dict[PlanPath, tuple[str, ...]] = {
    ("model", "name"): ("base_model",),
    ("model", "revision"): ("revision_of_model",),
    ("model", "max_seq_len"): ("sequence_len",),
    ("model", "trust_remote_code"): ("trust_remote_code",),
    ("method", "beta"): ("rl_beta",),
    ("method", "num_generations"): ("trl", "num_generations"),
    ("peft", "r"): ("lora_r",),
    ("peft", "alpha"): ("lora_alpha",),
    ("peft", "dropout"): ("lora_dropout",),
    ("training", "epochs"): ("num_epochs",),
    ("training", "max_steps"): ("max_steps",),
    ("training", "learning_rate"): ("learning_rate",),
    ("training", "micro_batch_size"): ("micro_batch_size",),
    ("training", "gradient_accumulation_steps"): ("gradient_accumulation_steps",),
    ("training", "gradient_checkpointing"): ("gradient_checkpointing",),
    ("training", "optimizer"): ("optimizer",),
    ("training", "lr_scheduler"): ("lr_scheduler",),
    ("training", "warmup_ratio"): ("warmup_ratio",),
    ("training", "warmup_steps"): ("warmup_steps",),
    ("training", "weight_decay"): ("weight_decay",),
    ("training", "max_grad_norm"): ("max_grad_norm",),
    ("training", "sample_packing"): ("sample_packing",),
    ("training", "seed"): ("seed",),
    ("training", "logging_steps"): ("logging_steps",),
    ("training", "save_steps"): ("save_steps",),
    ("output", "dir"): ("output_dir",),
}
# What a new LoRA block gets when a fix turns full fine-tuning into LoRA.
LORA_BLOCK: tuple[tuple[str, Any], ...] = (
    ("lora_r", 16),
    ("lora_alpha", 32),
    ("lora_dropout", 0.05),
    ("lora_target_linear", True),
)


def _dataset_path(node: Any) -> str | None:
    if isinstance(node, Sequence) and node.items:
        first = node.items[0]
        if isinstance(first, Mapping):
            path = first.get("path")
            if path is not None and isinstance(path.value.plain(), str):
                return path.value.plain()
        elif isinstance(first.plain(), str):
            return first.plain()
    return None


def _precision(reader: KeyReader, found: dict[str, Any]) -> None:
    # schemas/config.py: `bf16` defaults to "auto" (a missing key is auto, not off).
    bf16 = reader.value("bf16") if reader.has("bf16") else "auto"
    fp16 = as_bool(reader.value("fp16"))
    bf16_on = as_bool(bf16) is True or bf16 == "full"
    if bf16_on and fp16:
        found[F.BOTH_PRECISIONS] = [PrecisionPair(reader.ref("fp16"), reader.ref("bf16"))]
    if bf16_on:
        reader.put(("precision",), "bf16", "bf16")
        found[F.WEIGHTS_DTYPE] = "bf16"
    elif fp16:
        reader.put(("precision",), "fp16", "fp16")
        found[F.WEIGHTS_DTYPE] = "fp16"  # axolotl loads the weights in fp16 with `fp16: true`
    elif as_bool(reader.value("bfloat16")):
        # resolve_dtype: torch_dtype bf16; the builder passes `bf16 or bfloat16` as bf16.
        reader.put(("precision",), "bf16", "bfloat16")
        found[F.WEIGHTS_DTYPE] = "bf16"
    elif as_bool(reader.value("float16")) and bf16 != "auto":
        # resolve_dtype: torch_dtype fp16, while the Trainer's fp16 flag stays off: pure
        # half-precision weights with no AMP and no loss scaling (not fp32 training).
        reader.put(("precision",), "fp16", "float16")
        found[F.WEIGHTS_DTYPE] = "fp16"
    elif bf16 == "auto":
        reader.locate(("precision",), "bf16")  # resolved on the GPU: bf16 there, else fp16
    elif as_bool(reader.value("float32")) or as_bool(bf16) is False:
        # bf16 switched off and no fp16: axolotl trains in fp32.
        keys = ("bf16",) if reader.has("bf16") else ("fp16",) if reader.has("fp16") else ()
        reader.put(("precision",), "fp32", *keys)
        found[F.WEIGHTS_DTYPE] = "fp32"


def _method(reader: KeyReader, found: dict[str, Any]) -> None:
    rl = reader.value("rl")
    if isinstance(rl, str) and rl.strip() and rl.lower() not in _RL:
        reader.unmapped.add(("method", "kind"))  # a trainer tunelint has no name for
    if isinstance(rl, str) and rl.lower() in _RL:
        kind = _RL[rl.lower()]
        reader.put(("method", "kind"), kind, "rl")
        fmt = "unpaired-preference" if kind == "kto" else None if kind == "grpo" else "preference"
        if fmt and reader.get(("data", "train")) is not None:
            reader.put(("data", "format"), fmt)
    elif as_bool(reader.value("reward_model")) or as_bool(reader.value("process_reward_model")):
        key = "reward_model" if reader.has("reward_model") else "process_reward_model"
        reader.put(("method", "kind"), "reward", key)
    beta = as_float(reader.value("rl_beta"))
    if beta is None:
        beta = as_float(reader.value("trl", "beta"))
    if beta is not None and beta > 0:
        reader.put(("method", "beta"), beta, "rl_beta" if reader.has("rl_beta") else "trl")
    generations = as_int(reader.value("trl", "num_generations"))
    if generations is not None and generations >= 1:
        reader.put(("method", "num_generations"), generations, "trl", "num_generations")
    for fact, key in (
        (F.STEPS_PER_GENERATION, "steps_per_generation"),
        (F.GENERATION_BATCH_SIZE, "generation_batch_size"),
    ):
        value = as_int(reader.value("trl", key))
        if value is not None:
            found[fact] = value
    _vllm(reader)


# axolotl src/axolotl/utils/schemas/{trl,vllm}.py and core/trainers/grpo/__init__.py: with
# `trl.use_vllm`, an unset `trl.vllm_mode` becomes "server" (validation.py
# check_vllm_mode_set); colocated, TRL gets `vllm.gpu_memory_utilization` (default 0.9).
AXOLOTL_VLLM_GPU_MEMORY_UTILIZATION = 0.9


def _vllm(reader: KeyReader) -> None:
    if not as_bool(reader.value("trl", "use_vllm")):
        return
    mode = reader.value("trl", "vllm_mode")
    if mode in ("colocate", "server"):
        reader.put(("method", "vllm_mode"), mode, "trl", "vllm_mode")
    else:
        reader.put(("method", "vllm_mode"), "server", "trl", "use_vllm")
    if mode != "colocate":
        return
    share = as_float(reader.value("vllm", "gpu_memory_utilization"))
    if share is not None and 0 < share <= 1:
        reader.put(
            ("method", "vllm_gpu_memory_utilization"), share, "vllm", "gpu_memory_utilization"
        )
    else:
        reader.put(("method", "vllm_gpu_memory_utilization"), AXOLOTL_VLLM_GPU_MEMORY_UTILIZATION)


def _reasons(reader: KeyReader, found: dict[str, Any]) -> None:
    """What the file states that explains training more than an adapter."""
    reasons: list[str] = []
    if reader.has("pretraining_dataset"):
        reasons.append("`pretraining_dataset`: continued pre-training")
    if isinstance(reader.value("qat"), dict):
        reasons.append("`qat`: quantization-aware training")
    if isinstance(reader.value("llmcompressor"), dict):
        # integrations/llm_compressor: keeps a sparse model's mask while every weight trains.
        reasons.append("`llmcompressor`: sparsity-preserving fine-tuning")
    if reasons:
        found[F.FULL_REASONS] = reasons


def _peft(reader: KeyReader, found: dict[str, Any]) -> None:
    adapter = reader.value("adapter")
    if adapter in ("lora", "qlora"):
        kind = adapter
        if adapter == "lora" and as_bool(reader.value("peft_use_dora")):
            kind = "dora"
        reader.put(("peft", "kind"), kind, "adapter")
    elif not adapter:
        # No adapter: every weight trains (load_adapter returns the bare model, lora_* keys
        # are then unused) — unless `unfrozen_parameters` freezes all but the listed ones
        # (axolotl/utils/freeze.py). Shown at the model when there is no adapter key.
        reader.put(("peft", "kind"), "full", "adapter" if reader.has("adapter") else "base_model")
        unfrozen = reader.value("unfrozen_parameters")
        if isinstance(unfrozen, list) and unfrozen:
            found[F.PARTIAL] = f"unfrozen_parameters ({len(unfrozen)} patterns)"
        lisa = as_int(reader.value("lisa_n_layers"))
        if lisa:
            # LISA (axolotl/core/trainers/mixins/... LISA callback): only `lisa_n_layers`
            # sampled layers train at a time, every `lisa_step_interval` steps.
            found[F.PARTIAL] = f"lisa_n_layers: {lisa} (LISA)"
    for path, key, convert in (
        (("peft", "r"), "lora_r", as_int),
        (("peft", "alpha"), "lora_alpha", as_float),
        (("peft", "dropout"), "lora_dropout", as_float),
    ):
        value = convert(reader.value(key))
        if value is not None and (value > 0 or key == "lora_dropout"):
            reader.put(path, value, key)
    if as_bool(reader.value("lora_target_linear")):
        reader.put(("peft", "target_modules"), "all-linear", "lora_target_linear")
    else:
        modules = reader.value("lora_target_modules")
        if isinstance(modules, list) and modules and all(isinstance(m, str) for m in modules):
            reader.put(("peft", "target_modules"), modules, "lora_target_modules")


def _model(reader: KeyReader) -> None:
    name = reader.value("base_model")
    reader.put(("model", "name"), name if isinstance(name, str) else "", "base_model")
    revision = reader.value("revision_of_model")
    if isinstance(revision, str):
        reader.put(("model", "revision"), revision, "revision_of_model")
    seq = as_int(reader.value("sequence_len"))
    if seq is not None and seq > 0:
        reader.put(("model", "max_seq_len"), seq, "sequence_len")
    trust = as_bool(reader.value("trust_remote_code"))
    if trust is not None:
        reader.put(("model", "trust_remote_code"), trust, "trust_remote_code")
    four, eight = as_bool(reader.value("load_in_4bit")), as_bool(reader.value("load_in_8bit"))
    if four:
        reader.put(("model", "quantization"), "4bit", "load_in_4bit")
    elif eight:
        reader.put(("model", "quantization"), "8bit", "load_in_8bit")
    elif reader.value("adapter") == "qlora":
        # QLoRA without 4-bit loading: axolotl refuses it; say so at the flag (or the adapter).
        key = "load_in_4bit" if reader.has("load_in_4bit") else "adapter"
        reader.put(("model", "quantization"), "none", key)
    attention = reader.value("attn_implementation")
    if attention in _ATTENTION:
        reader.put(("model", "attn_implementation"), attention, "attn_implementation")
    else:
        for key, kernel in _LEGACY_ATTENTION:
            if as_bool(reader.value(key)):
                reader.put(("model", "attn_implementation"), kernel, key)
                break


def _training(reader: KeyReader) -> None:
    for path, key, convert in (
        (("training", "epochs"), "num_epochs", as_float),
        (("training", "max_steps"), "max_steps", as_int),
        (("training", "learning_rate"), "learning_rate", as_float),
        (("training", "micro_batch_size"), "micro_batch_size", as_int),
        (("training", "gradient_accumulation_steps"), "gradient_accumulation_steps", as_int),
        (("training", "warmup_ratio"), "warmup_ratio", as_float),
        (("training", "warmup_steps"), "warmup_steps", as_int),
        (("training", "weight_decay"), "weight_decay", as_float),
        (("training", "max_grad_norm"), "max_grad_norm", as_float),
        (("training", "seed"), "seed", as_int),
        (("training", "logging_steps"), "logging_steps", as_int),
        (("training", "save_steps"), "save_steps", as_int),
    ):
        value = convert(reader.value(key))
        if value is not None and (value > 0 or (value == 0 and key in _ZERO_OK)):
            reader.put(path, value, key)
    checkpointing = reader.value("gradient_checkpointing")
    if checkpointing is not None:
        on = as_bool(checkpointing)
        reader.put(
            ("training", "gradient_checkpointing"),
            on if on is not None else bool(checkpointing),  # "unsloth", "offload": on
            "gradient_checkpointing",
        )
    optimizer = reader.value("optimizer")
    if isinstance(optimizer, str) and optimizer in _OPTIMIZERS:
        reader.put(("training", "optimizer"), _OPTIMIZERS[optimizer], "optimizer")
    elif optimizer is not None:
        reader.unmapped.add(("training", "optimizer"))
    scheduler = reader.value("lr_scheduler")
    if isinstance(scheduler, str):
        reader.put(("training", "lr_scheduler"), scheduler, "lr_scheduler")
    packing = as_bool(reader.value("sample_packing"))
    if packing is not None:
        reader.put(("training", "sample_packing"), packing, "sample_packing")
    _memory_savers(reader)


def _memory_savers(reader: KeyReader) -> None:
    """Plugins and switches that change the memory picture (integrations/*/args.py)."""
    plugins = " ".join(string_list(reader.value("plugins")) or []).lower()
    if "cut_cross_entropy" in plugins and as_bool(reader.value("cut_cross_entropy")) is not False:
        # CutCrossEntropyArgs.cut_cross_entropy defaults to True once the plugin is listed.
        key = "cut_cross_entropy" if reader.has("cut_cross_entropy") else "plugins"
        reader.put(("training", "chunked_loss"), True, key)
    elif "liger" in plugins:
        put_switches(reader, [(("training", "chunked_loss"), "liger_fused_linear_cross_entropy")])
    put_switches(
        reader,
        [
            (("training", "compile"), "torch_compile"),
            (("training", "activation_offloading"), "activation_offloading"),
        ],
    )
    if reader.value("gradient_checkpointing") == "offload":  # deprecated spelling of the same
        reader.put(("training", "activation_offloading"), True, "gradient_checkpointing")
    saved = string_list(reader.value("lora_modules_to_save"))
    if saved and reader.get(("peft", "kind")) != "full":
        reader.put(("peft", "modules_to_save"), saved, "lora_modules_to_save")


def _hardware(reader: KeyReader, found: dict[str, Any], related: dict[str, Document]) -> None:
    ds = attach_deepspeed(reader, ("deepspeed",), related) if reader.has("deepspeed") else None
    if ds is not None:
        found[F.DEEPSPEED_VALUES] = ds.values
        if ds.both_precisions:
            found.setdefault(F.BOTH_PRECISIONS, []).append(ds.both_precisions)
    fsdp = reader.value("fsdp")
    fsdp_on = bool(fsdp) if isinstance(fsdp, (list, str)) else as_bool(fsdp) is True
    fsdp_key = "fsdp" if fsdp_on else None
    if (
        not fsdp_on
        and isinstance(reader.node("fsdp_config"), Mapping)
        and reader.value("fsdp_version")
    ):
        fsdp_on, fsdp_key = True, "fsdp_version"
    if fsdp_on and fsdp_key:
        if reader.has("deepspeed") and reader.value("deepspeed"):
            found[F.DEEPSPEED_AND_FSDP] = (reader.key_ref("deepspeed"), reader.key_ref(fsdp_key))
        else:
            reader.put(("hardware", "distributed"), "fsdp", fsdp_key)
        offload = as_bool(reader.value("fsdp_config", "fsdp_offload_params"))
        if offload is None:
            offload = as_bool(reader.value("fsdp_config", "offload_params"))
        if offload:
            reader.put(("hardware", "cpu_offload"), True, "fsdp_config")
        # utils/trainer.py setup_fsdp_envs: fsdp_config.activation_checkpointing (the fsdp_
        # prefix is stripped by validation) sets FSDP_ACTIVATION_CHECKPOINTING for accelerate,
        # which checkpoints every wrapped layer: the same saving as gradient_checkpointing.
        for key in ("activation_checkpointing", "fsdp_activation_checkpointing"):
            if as_bool(reader.value("fsdp_config", key)) and not as_bool(
                reader.value("gradient_checkpointing")
            ):
                reader.put(("training", "gradient_checkpointing"), True, "fsdp_config", key)
                break


def _fsdp_prefix(path: tuple[str, ...]) -> tuple[tuple[str, ...], str] | None:
    """axolotl (utils/schemas/validation.py, check_fsdp_config_kwargs_prefix, 0.21) strips
    a `fsdp_` prefix from `fsdp_config` keys before validating, with a deprecation warning."""
    if len(path) == 2 and path[0] == "fsdp_config":
        key = path[1]
        if key.startswith("fsdp_") and key != "fsdp_version":
            return (path[0], key.removeprefix("fsdp_")), "the `fsdp_` prefix is deprecated"
    return None


def _plugin_sections(reader: KeyReader) -> list[str]:
    """`plugins: [axolotl.integrations.liger.LigerPlugin]` -> `plugin:axolotl.integrations.
    liger.LigerPlugin`: the key rules match it to the table's plugin sections."""
    plugins = reader.value("plugins")
    if not isinstance(plugins, list):
        return []
    return [f"plugin:{p}" for p in plugins if isinstance(p, str) and p]


def detect_axolotl(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    keys = set(root.keys())
    bonus = 0.0
    datasets = root.get("datasets")
    if datasets is not None and isinstance(datasets.value, Sequence) and datasets.value.items:
        first = datasets.value.items[0]
        if (
            isinstance(first, Mapping)
            and first.get("path") is not None
            and first.get("type") is not None
        ):
            bonus = 0.2
    return marker_score(keys, _MARKERS, bonus=bonus, requires=("base_model",), cap_without=0.45)


class AxolotlDialect:
    name = "axolotl"
    label = "axolotl"

    def detect(self, doc: Document) -> float:
        return detect_axolotl(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        found: dict[str, Any] = {F.TRAINER: "axolotl", F.LOADER: F.PYYAML_PYDANTIC}
        related: dict[str, Document] = {}
        _model(reader)
        train = _dataset_path(reader.node("datasets"))
        if train is not None:
            reader.put(("data", "train"), train, "datasets")
            evaluation = _dataset_path(reader.node("test_datasets"))
            if evaluation is not None:
                reader.put(("data", "eval"), evaluation, "test_datasets")
        _method(reader, found)
        _peft(reader, found)
        _reasons(reader, found)
        _precision(reader, found)
        _training(reader)
        # core/builders/causal.py: the collator pads to a multiple of sequence_len (the
        # schema sets it with sample_packing when unset, utils/schemas/validation.py).
        pad = as_bool(reader.value("pad_to_sequence_len"))
        if pad or (pad is None and as_bool(reader.value("sample_packing"))):
            found[F.PADDED_TO_LENGTH] = True
        _hardware(reader, found, related)
        output = reader.value("output_dir")
        if isinstance(output, str):
            reader.put(("output", "dir"), output, "output_dir")
        if isinstance(reader.value("wandb_project"), str) and reader.value("wandb_project"):
            reader.put(("output", "report_to"), ["wandb"], "wandb_project")
        R.read_wrap_classes(
            reader,
            found,
            ("fsdp_config", "fsdp_transformer_layer_cls_to_wrap"),
            ("fsdp_config", "transformer_layer_cls_to_wrap"),
        )
        R.read_fp8(reader, found, "fp8")
        R.read_parallelism(
            reader,
            found,
            "tensor_parallel_size",
            "context_parallel_size",
            "expert_parallel_size",
            "sequence_parallel_degree",
        )
        found[F.EXPERTS_QUANTIZED] = as_bool(reader.value("quantize_moe_experts")) is True
        R.read_splits(reader, found, "datasets", "path", "split")
        R.read_eval_fraction(reader, found, "val_set_size")
        found[F.OPTIONS] = option_scope(
            reader, "axolotl", also=_plugin_sections(reader), respell=_fsdp_prefix
        )
        return reader.mapped(found, related)

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def render_precision(doc: Document, precision: Any) -> list[TextEdit] | None:
    """bf16: `bf16: true` (the `fp16` line goes); fp16 the other way; fp32: both off."""
    if precision == "bf16":
        return switch_flag(doc, "bf16", ("fp16",))
    if precision == "fp16":
        return switch_flag(doc, "fp16", ("bf16",))
    if precision == "fp32":
        return flags_off(doc, ("bf16", "fp16"))
    return None


def _render_method(doc: Document, kind: Any) -> list[TextEdit] | None:
    if kind == "sft":
        return remove_keys(doc, ("rl",))
    if kind in ("dpo", "orpo", "kto", "grpo"):
        return set_key(doc, ("rl",), kind)
    return None


def _render_peft(doc: Document, kind: Any) -> list[TextEdit] | None:
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    if kind == "full":
        return remove_keys(doc, ("adapter",))
    if kind not in ("lora", "qlora", "dora"):
        return None
    adapter = "qlora" if kind == "qlora" else "lora"
    edits = set_key(doc, ("adapter",), adapter) or []
    missing = [(k, v) for k, v in LORA_BLOCK if root.get(k) is None]
    if kind == "dora" and root.get("peft_use_dora") is None:
        missing.append(("peft_use_dora", True))
    if missing and not any(root.get(k) is not None for k in ("lora_r", "lora_target_modules")):
        if root.get("adapter") is not None:
            edits += insert_after(doc, ("adapter",), missing) or []
        else:  # the adapter line is appended at the end: the block follows it there
            for key, value in missing:
                edits += set_key(doc, (key,), value) or []
    elif kind == "dora" and root.get("peft_use_dora") is None:
        edits += set_key(doc, ("peft_use_dora",), True) or []
    return edits


def _render_quantization(doc: Document, quantization: Any) -> list[TextEdit] | None:
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    wanted = {"4bit": "load_in_4bit", "8bit": "load_in_8bit"}.get(quantization)
    edits: list[TextEdit] = []
    for key in ("load_in_4bit", "load_in_8bit"):
        if key == wanted:
            edits += set_key(doc, (key,), True) or []
        elif root.get(key) is not None and as_bool(root.get(key).value.plain()):  # type: ignore[union-attr]
            edits += set_key(doc, (key,), False) or []
    if quantization not in ("4bit", "8bit", "none"):
        return None
    return edits


def _render_attention(doc: Document, value: Any) -> list[TextEdit] | None:
    """`attn_implementation` replaces the legacy per-kernel flags (they go)."""
    legacy = [(k,) for k, _ in _LEGACY_ATTENTION]
    return (set_key(doc, ("attn_implementation",), value) or []) + remove_keys(doc, *legacy)


RENDER = RenderTable(
    set={
        **SIMPLE,
        ("precision",): render_precision,
        ("method", "kind"): _render_method,
        ("peft", "kind"): _render_peft,
        ("model", "quantization"): _render_quantization,
        ("model", "attn_implementation"): _render_attention,
        ("training", "optimizer"): ToKey(("optimizer",), {"adamw_8bit": "adamw_bnb_8bit"}),
    },
    # axolotl has no reward-model key for online RL: nothing to remove.
    remove={**removals(SIMPLE), ("method", "reward_model"): nothing},
)
