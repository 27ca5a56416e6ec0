"""LLaMA-Factory v1 configs (`USE_V1=1 llamafactory-cli sft|dpo|rm cfg.yaml`): `model`,
`train_dataset`, the trainer's own batch keys and plugin blocks named by `name:`
(`peft_config`, `quant_config`, `dist_config`, ...) onto the Plan.

Meanings read from LLaMA-Factory's source at v0.9.5+54 (commit ff6d4d12e), src/llamafactory/v1:
- config/arg_parser.py `get_args`: `OmegaConf.load` (YAML) or `json.load` (JSON), then one
  `HfArgumentParser.parse_dict` over ModelArguments, DataArguments, TrainingArguments and
  SampleArguments (unknown keys refused unless ALLOW_EXTRA_KEYS).
- config/model_args.py: `model` (default Qwen/Qwen3-4B-Instruct-2507), `trust_remote_code`,
  `flash_attn` (eager | sdpa | flash_attention_2, default sdpa), `model_class` (llm | cls |
  other: `cls` loads a one-label token-classification head, the reward model of `rm`).
- config/training_args.py defaults: `micro_batch_size` 1, `cutoff_len` 2048, `learning_rate`
  1e-4, `num_train_epochs` 3, `max_grad_norm` 1.0, `bf16` true, `seed` 42, `logging_steps` 1,
  `enable_activation_checkpointing` true; `global_batch_size` defaults to dp x micro batch.
- core/utils/batching.py: gradient accumulation = global_batch_size / (dp x micro batch),
  dp = `dp_size` (default world size / `cp_size`).
- core/base_trainer.py: no `optim_config` is torch AdamW (weight decay 0.01), no
  `lr_scheduler_config` a constant rate; `muon` is the one optimizer plugin and no scheduler
  plugin is registered. No `dist_config` on several GPUs is DDP.
- core/model_engine.py: no `peft_config` is full tuning with the model cast to fp32.
- plugins/model_plugins/peft.py: `lora` (r 8, lora_alpha 16, lora_dropout 0.05,
  target_modules "all" = every linear layer but the head, use_dora, modules_to_save,
  adapter_name_or_path + export_dir: a merge file); `freeze` trains the last
  `freeze_trainable_layers` blocks in full.
- plugins/model_plugins/quantization.py: `quant_config: {name: bnb | auto, quantization_bit:
  4 | 8}`; bnb without a bit count loads 4-bit, auto without one does not quantize.
- plugins/trainer_plugins/distributed/interface.py: `dist_config.name` fsdp2 | fsdpturbo
  (FSDP2, `offload_params`, fsdpturbo's `ep_size` expert parallelism) | deepspeed
  (`config_file`, a DeepSpeed JSON). Values the JSON fixes are not compared with the file's
  (TL504): v1 hands its own micro batch and accumulation to accelerate (distributed/
  deepspeed.py), whose handling of a mismatch was not read.
- `kernel_config` is not mapped: training asks the kernels for logits, which turns Liger's
  fused linear cross-entropy off (kernels/liger_kernel_ops.py).
- Precision: `bf16` is read only by the FSDP2 engines (fsdp2.py: bf16 parameters, fp32
  reductions). Under DeepSpeed its JSON decides (deepspeed_utils.py
  `infer_deepspeed_mixed_precision`: bf16 unless `bf16.enabled` or `fp16.enabled` is false).
  Without `dist_config` nothing casts or autocasts: a full fine-tune trains in fp32 and an
  adapter trains on the weights as the checkpoint stores them, so the Plan's precision is
  left to its default there.

The file does not say the stage: `llamafactory-cli sft|dpo|rm` does (launcher.py). It is taken
from preference keys (`pref_*`, `simpo_gamma`...) or `model_class: cls`, else the file's
name (`train_lora_dpo.yaml`); with no hint it is assumed SFT and marked unmapped, so rules
tuned to a method's usual values stay silent. tunelint has no generated option table for
v1, so its keys are not judged (no TL510/TL920/TL921).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.deepspeed import attach_deepspeed
from tunelint.config.dialects.reader import (
    KeyReader,
    as_bool,
    as_float,
    as_int,
    read_fields,
)
from tunelint.config.dialects.rendering import (
    RenderTable,
    removals,
    remove_keys,
    render_fix,
    replace_entry,
    set_key,
)
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping
from tunelint.config.edits import set_value
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

# Top-level keys only v1's argument dataclasses have (v0 has none of them): detection asks
# this dialect only when one is present (registry.toml lists them).
V1_ONLY = frozenset(
    {
        "train_dataset",
        "eval_dataset",
        "model_class",
        "init_config",
        "peft_config",
        "kernel_config",
        "quant_config",
        "dist_config",
        "optim_config",
        "lr_scheduler_config",
        "sample_backend",
        "batching_strategy",
    }
)
_MARKERS = {
    "train_dataset": 0.3,
    "eval_dataset": 0.1,
    "model_class": 0.3,
    "init_config": 0.15,
    "peft_config": 0.2,
    "kernel_config": 0.2,
    "quant_config": 0.15,
    "dist_config": 0.2,
    "optim_config": 0.1,
    "lr_scheduler_config": 0.1,
    "sample_backend": 0.2,
    "batching_strategy": 0.2,
}
# Plugin blocks: a mapping with a `name:` (arg_utils.get_plugin_config requires one).
_PLUGINS = (
    "peft_config",
    "quant_config",
    "dist_config",
    "kernel_config",
    "init_config",
    "optim_config",
    "lr_scheduler_config",
)
_ATTENTION = frozenset({"eager", "sdpa", "flash_attention_2"})
_FSDP = frozenset({"fsdp2", "fsdpturbo"})
_NEEDS_FLASH = frozenset({"padding_free"})  # base_trainer.py: padding_free needs FA2
# TrainingArguments fields only the DPO trainer reads (dpo_trainer.py).
_PREFERENCE_KEYS = ("pref_beta", "pref_loss", "pref_ftx", "simpo_gamma", "dpo_label_smoothing")
_TOKEN = re.compile(r"[^a-z0-9]+")
_STAGE_IN_NAME = {"dpo": "dpo", "orpo": "orpo", "rm": "reward", "reward": "reward", "sft": "sft"}
# LoraParams fields (peft.py): a block switched to LoRA keeps only these.
_LORA_PARAMS = frozenset(
    {
        "name",
        "r",
        "lora_alpha",
        "lora_dropout",
        "target_modules",
        "use_rslora",
        "use_dora",
        "modules_to_save",
        "adapter_name_or_path",
        "export_dir",
        "export_size",
        "export_hub_model_id",
        "infer_dtype",
        "export_legacy_format",
    }
)
SIMPLE: dict[PlanPath, tuple[str, ...]] = {
    ("model", "name"): ("model",),
    ("model", "max_seq_len"): ("cutoff_len",),
    ("model", "trust_remote_code"): ("trust_remote_code",),
    ("method", "beta"): ("pref_beta",),
    ("training", "epochs"): ("num_train_epochs",),
    ("training", "max_steps"): ("max_steps",),
    ("training", "learning_rate"): ("learning_rate",),
    ("training", "micro_batch_size"): ("micro_batch_size",),
    ("training", "max_grad_norm"): ("max_grad_norm",),
    ("training", "seed"): ("seed",),
    ("training", "logging_steps"): ("logging_steps",),
    ("training", "save_steps"): ("save_steps",),
    ("training", "gradient_checkpointing"): ("enable_activation_checkpointing",),
    ("output", "dir"): ("output_dir",),
}


def is_v1_schema(keys: Iterable[str]) -> bool:
    """Whether top-level `keys` are LLaMA-Factory v1's config schema: v1's `model` (v0 says
    `model_name_or_path`) with a key only v1 has."""
    names = set(keys)
    return "model" in names and "model_name_or_path" not in names and bool(names & V1_ONLY)


def _plugin_name(doc: Document, key: str) -> str | None:
    root = doc.root
    entry = root.get(key) if isinstance(root, Mapping) else None
    if entry is None or not isinstance(entry.value, Mapping):
        return None
    name = entry.value.get("name")
    value = name.value.plain() if name is not None else None
    return value if isinstance(value, str) else None


def detect_llamafactory_v1(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping) or not is_v1_schema(root.keys()):
        return 0.0
    model = root.get("model")
    bonus = 0.2 if model is not None and isinstance(model.value.plain(), str) else 0.0
    # Plugin blocks named by `name:`, as get_plugin_config reads them: v1's own shape.
    bonus += 0.15 * sum(_plugin_name(doc, key) is not None for key in _PLUGINS)
    return marker_score(root.keys(), _MARKERS, bonus=bonus)


def infer_stage(reader: KeyReader) -> tuple[str, bool]:
    """(the method, whether the file hints at it): preference keys, a reward head, the file
    name; else SFT, assumed."""
    if any(reader.has(key) for key in _PREFERENCE_KEYS):
        return ("orpo" if reader.value("pref_loss") == "orpo" else "dpo"), True
    if reader.value("model_class") == "cls":
        return "reward", True
    tokens = _TOKEN.split(reader.doc.filename.lower().rsplit("/", 1)[-1])
    for token, method in _STAGE_IN_NAME.items():
        if token in tokens:
            return method, True
    return "sft", False


class LlamaFactoryV1Dialect:
    name = "llamafactory-v1"
    label = "LLaMA-Factory v1"

    def detect(self, doc: Document) -> float:
        return detect_llamafactory_v1(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        found: dict[str, Any] = {
            F.TRAINER: "llamafactory",
            F.LOADER: F.OMEGACONF if doc.kind == "yaml" else F.JSON,
        }
        related: dict[str, Document] = {}
        self._model(reader)
        self._method(reader)
        self._peft(reader, found)
        self._training(reader)
        dist = self._distributed(reader, found, related)
        self._precision(reader, dist, related)
        R.read_parallelism(reader, found, "cp_size", "mp_replicate_size")
        ep = as_int(reader.value("dist_config", "ep_size"))
        if dist == "fsdpturbo" and ep is not None and ep > 1:
            found.setdefault(F.UNMODELLED_PARALLELISM, []).append(f"dist_config.ep_size: {ep}")
        merge = reader.has("peft_config", "export_dir")
        found[F.PURPOSE] = "merge" if merge else "train"
        # No option table for v1 yet: its keys are not judged with v0's (F.OPTIONS unset).
        return reader.mapped(found, related)

    @staticmethod
    def _model(reader: KeyReader) -> None:
        name = reader.value("model")
        reader.put(("model", "name"), name if isinstance(name, str) else "", "model")
        cutoff = as_int(reader.value("cutoff_len"))
        reader.put(
            ("model", "max_seq_len"), cutoff if cutoff and cutoff > 0 else 2048, "cutoff_len"
        )
        trust = as_bool(reader.value("trust_remote_code"))
        if trust is not None:
            reader.put(("model", "trust_remote_code"), trust, "trust_remote_code")
        attention = reader.value("flash_attn")
        if attention is None:
            reader.put(("model", "attn_implementation"), "sdpa")  # v1's default
        elif attention in _ATTENTION:
            reader.put(("model", "attn_implementation"), attention, "flash_attn")
        quant = _plugin_name(reader.doc, "quant_config")
        bits = as_int(reader.value("quant_config", "quantization_bit"))
        if quant == "bnb" and bits is None:
            bits = 4  # quantization.py: bnb without a bit count loads 4-bit
        if quant in ("bnb", "auto") and bits in (4, 8):
            key = "quantization_bit" if reader.has("quant_config", "quantization_bit") else "name"
            reader.put(("model", "quantization"), f"{bits}bit", "quant_config", key)
        elif quant is not None:
            reader.unmapped.add(("model", "quantization"))

    @staticmethod
    def _method(reader: KeyReader) -> None:
        kind, hinted = infer_stage(reader)
        reader.put(("method", "kind"), kind)
        if not hinted:
            reader.unmapped.add(("method", "kind"))  # the command decides: SFT assumed
        if kind in ("dpo", "orpo"):
            beta = as_float(reader.value("pref_beta"))
            reader.put(("method", "beta"), beta if beta and beta > 0 else 0.1, "pref_beta")
        train = reader.value("train_dataset")
        if isinstance(train, str) and train.strip():
            reader.put(("data", "train"), train, "train_dataset")
            if kind in ("dpo", "orpo", "reward"):
                reader.put(("data", "format"), "preference")
            evaluation = reader.value("eval_dataset")
            if isinstance(evaluation, str) and evaluation.strip():
                reader.put(("data", "eval"), evaluation, "eval_dataset")

    @staticmethod
    def _peft(reader: KeyReader, found: dict[str, Any]) -> None:
        if not reader.has("peft_config") or reader.value("peft_config") is None:
            reader.put(("peft", "kind"), "full", "peft_config")
            return
        name = _plugin_name(reader.doc, "peft_config")
        if name == "freeze":
            reader.put(("peft", "kind"), "full", "peft_config", "name")
            found[F.PARTIAL] = "peft_config.name: freeze"
            return
        if name != "lora":
            reader.unmapped.add(("peft", "kind"))  # a plugin v1 does not register
            return
        kind = "lora"
        if as_bool(reader.value("peft_config", "use_dora")):
            kind = "dora"
        elif reader.get(("model", "quantization")) == "4bit":
            kind = "qlora"
        reader.put(("peft", "kind"), kind, "peft_config", "name")
        rank = as_int(reader.value("peft_config", "r"))
        reader.put(("peft", "r"), rank if rank and rank > 0 else 8, "peft_config", "r")
        alpha = as_float(reader.value("peft_config", "lora_alpha"))
        reader.put(
            ("peft", "alpha"), alpha if alpha and alpha > 0 else 16.0, "peft_config", "lora_alpha"
        )
        dropout = as_float(reader.value("peft_config", "lora_dropout"))
        reader.put(
            ("peft", "dropout"),
            dropout if dropout is not None and 0 <= dropout < 1 else 0.05,
            "peft_config",
            "lora_dropout",
        )
        targets = reader.value("peft_config", "target_modules")
        if targets is None or targets == "all":
            reader.put(("peft", "target_modules"), "all-linear", "peft_config", "target_modules")
        elif isinstance(targets, str):  # one module name (v1 does not split on commas)
            reader.put(("peft", "target_modules"), [targets], "peft_config", "target_modules")
        elif isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets):
            reader.put(("peft", "target_modules"), targets, "peft_config", "target_modules")
        if reader.has("peft_config", "adapter_name_or_path"):
            # peft.py load_adapter: training resumes the adapter with its own settings.
            reader.unmapped.update({("peft", "r"), ("peft", "alpha"), ("peft", "target_modules")})
        saved = reader.value("peft_config", "modules_to_save")
        if isinstance(saved, list) and saved and all(isinstance(s, str) for s in saved):
            reader.put(("peft", "modules_to_save"), saved, "peft_config", "modules_to_save")

    @staticmethod
    def _training(reader: KeyReader) -> None:
        read_fields(
            reader,
            [
                (("training", "epochs"), "num_train_epochs", as_float, 3.0),
                (("training", "max_steps"), "max_steps", as_int, None),
                (("training", "learning_rate"), "learning_rate", as_float, 1e-4),
                (("training", "micro_batch_size"), "micro_batch_size", as_int, 1),
                (("training", "max_grad_norm"), "max_grad_norm", as_float, 1.0),
                (("training", "seed"), "seed", as_int, 42),
                (("training", "logging_steps"), "logging_steps", as_int, 1),
                (("training", "save_steps"), "save_steps", as_int, None),
            ],
        )
        checkpointing = as_bool(reader.value("enable_activation_checkpointing"))
        reader.put(
            ("training", "gradient_checkpointing"),
            checkpointing is not False,
            "enable_activation_checkpointing",
        )
        _accumulation(reader)
        if reader.value("optim_config") is None:
            reader.put(("training", "optimizer"), "adamw_torch")  # torch.optim.AdamW
            reader.put(("training", "weight_decay"), 0.01)  # its default weight decay
        else:
            reader.unmapped.add(("training", "optimizer"))  # muon (or an unknown plugin)
        if reader.value("lr_scheduler_config") is None:
            reader.put(("training", "lr_scheduler"), "constant")
        else:
            reader.unmapped.add(("training", "lr_scheduler"))
        strategy = reader.value("batching_strategy")
        if isinstance(strategy, str):
            packed = strategy in ("padding_free", "dynamic_padding_free")
            reader.put(("training", "sample_packing"), packed, "batching_strategy")
        output = reader.value("output_dir")
        if isinstance(output, str):
            reader.put(("output", "dir"), output, "output_dir")

    @staticmethod
    def _distributed(
        reader: KeyReader, found: dict[str, Any], related: dict[str, Document]
    ) -> str | None:
        """`dist_config.name` (None without one) with its sharding on the Plan."""
        name = _plugin_name(reader.doc, "dist_config")
        if name in _FSDP:
            reader.put(("hardware", "distributed"), "fsdp", "dist_config", "name")
            if as_bool(reader.value("dist_config", "offload_params")):
                reader.put(("hardware", "cpu_offload"), True, "dist_config", "offload_params")
        elif name == "deepspeed":
            keys = ("dist_config", "config_file")
            if reader.has(*keys):
                ds = attach_deepspeed(reader, keys, related)
                if ds is not None and ds.both_precisions:
                    found.setdefault(F.BOTH_PRECISIONS, []).append(ds.both_precisions)
        elif name is not None:
            reader.unmapped.add(("hardware", "distributed"))
        return name

    @staticmethod
    def _precision(reader: KeyReader, dist: str | None, related: dict[str, Document]) -> None:
        if dist in _FSDP:
            on = as_bool(reader.value("bf16"))
            reader.put(("precision",), "fp32" if on is False else "bf16", "bf16")
        elif dist == "deepspeed":
            json_doc = next(iter(related.values()), None)
            reader.put(("precision",), _deepspeed_precision(json_doc))
        elif not reader.has("peft_config") or reader.value("peft_config") is None:
            reader.put(("precision",), "fp32")  # full tuning casts the model to fp32

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def _accumulation(reader: KeyReader) -> None:
    """gradient accumulation = global_batch_size / (dp x micro batch) (batching.py); without
    `dp_size` the data-parallel size is the launch's world size: 1 is assumed, unmapped."""
    total = as_int(reader.value("global_batch_size"))
    micro = as_int(reader.value("micro_batch_size")) or 1
    if total is None or total <= 0:
        return
    dp = as_int(reader.value("dp_size"))
    if dp is None or dp <= 0:
        dp = 1
        reader.unmapped.add(("training", "gradient_accumulation_steps"))
    if total % (dp * micro) == 0:
        steps = total // (dp * micro)
        reader.put(("training", "gradient_accumulation_steps"), steps, "global_batch_size")


def _deepspeed_precision(doc: Document | None) -> str:
    """deepspeed_utils.infer_deepspeed_mixed_precision: bf16 unless the JSON switches bf16
    (or, with bf16 left to auto, fp16) off."""
    root = doc.root if doc is not None else None
    if not isinstance(root, Mapping):
        return "bf16"

    def enabled(section: str) -> Any:
        entry = root.get(section)
        if entry is None or not isinstance(entry.value, Mapping):
            return None
        flag = entry.value.get("enabled")
        return as_bool(flag.value.plain()) if flag is not None else None

    bf16, fp16 = enabled("bf16"), enabled("fp16")
    if fp16 is True:
        return "fp16"  # as written; v1 refuses it at start-up
    if bf16 is True:
        return "bf16"
    if bf16 is False or fp16 is False:
        return "fp32"
    return "bf16"


def _render_precision(doc: Document, precision: Any) -> list[TextEdit] | None:
    """Only the FSDP2 engines read `bf16`; elsewhere the file cannot change the precision."""
    if _plugin_name(doc, "dist_config") not in _FSDP:
        return None
    if precision == "bf16":
        return set_key(doc, ("bf16",), True)
    if precision == "fp32":
        return set_key(doc, ("bf16",), False)
    return None  # v1 has no fp16


def _set_block(doc: Document, key: str, fields: dict[str, Any]) -> list[TextEdit] | None:
    """`key` holding a plugin block with `fields` (set inside an existing block mapping; a
    new or null block is written as one flow mapping)."""
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    entry = root.get(key)
    if entry is None:
        return set_value(doc, (key,), fields)
    if not isinstance(entry.value, Mapping):
        return replace_entry(doc, (key,), key, fields)
    edits: list[TextEdit] = []
    for name, value in fields.items():
        done = set_key(doc, (key, name), value)
        if done is None:
            return None
        edits += done
    return edits


def _render_peft(doc: Document, kind: Any) -> list[TextEdit] | None:
    if kind == "full":
        return remove_keys(doc, ("peft_config",))  # no peft_config: full tuning
    if kind not in ("lora", "qlora", "dora"):
        return None
    fields: dict[str, Any] = {"name": "lora"}
    if kind == "dora":
        fields["use_dora"] = True
    root = doc.root
    entry = root.get("peft_config") if isinstance(root, Mapping) else None
    if entry is None or not isinstance(entry.value, Mapping):
        fields["target_modules"] = "all"
    edits = _set_block(doc, "peft_config", fields)
    if edits is None:
        return None
    if entry is not None and isinstance(entry.value, Mapping):
        # freeze's fields are refused by LoraParams (plugin.py parse_params): they go.
        names = [str(item.key.value) for item in entry.value.entries]
        stale = [k for k in names if k not in _LORA_PARAMS]
        edits += remove_keys(doc, *[("peft_config", k) for k in stale])
        if kind != "dora" and entry.value.get("use_dora") is not None:
            edits += set_key(doc, ("peft_config", "use_dora"), False) or []
    if kind == "qlora":
        quant = _render_quantization(doc, "4bit")
        if quant is None:
            return None
        edits += quant
    return edits


def _render_quantization(doc: Document, value: Any) -> list[TextEdit] | None:
    if value in ("4bit", "8bit"):
        fields: dict[str, Any] = {"quantization_bit": int(value[0])}
        if _plugin_name(doc, "quant_config") not in ("bnb", "auto"):
            fields = {"name": "bnb", **fields}
        return _set_block(doc, "quant_config", fields)
    return remove_keys(doc, ("quant_config",))


def _render_attention(doc: Document, value: Any) -> list[TextEdit] | None:
    """`flash_attn`; context parallelism and padding-free batching need flash_attention_2
    (base_trainer.py refuses them without it), so another value cannot be written there."""
    if value not in _ATTENTION:
        return None
    root = doc.root
    cp = root.get("cp_size") if isinstance(root, Mapping) else None
    cp_size = as_int(cp.value.plain()) if cp is not None else None
    strategy = root.get("batching_strategy") if isinstance(root, Mapping) else None
    packed = strategy is not None and strategy.value.plain() in _NEEDS_FLASH
    if value != "flash_attention_2" and ((cp_size or 1) > 1 or packed):
        return None
    return set_key(doc, ("flash_attn",), value)


RENDER = RenderTable(
    set={
        **SIMPLE,
        ("precision",): _render_precision,
        ("peft", "kind"): _render_peft,
        ("model", "quantization"): _render_quantization,
        ("model", "attn_implementation"): _render_attention,
    },
    remove=removals(SIMPLE),
)
