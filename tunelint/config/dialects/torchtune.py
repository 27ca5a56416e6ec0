"""torchtune recipe configs (`tune run <recipe> --config cfg.yaml`): components named by
`_component_` (model builder, dataset, optimizer, loss) plus flat recipe settings.

The checkpointer's folder names the weights (the Plan's model); the model builder says the PEFT kind (`lora_llama3_1_8b`, `qlora_llama3_1_8b`, else full);
the loss says the method (`DPOLoss`, `PPOLoss`). torchtune trains in pure `dtype` (bf16 or
fp32; it has no fp16), so the weights dtype is the precision. OmegaConf reads `2e-5` as a
float, so no YAML 1.1 finding here.

Meanings read from torchtune's source at v0.6.0-rc1+220 (commit bd2a0fc7c):
- torchtune/config/_parse.py: configs are read with `OmegaConf.load`.
- recipes/*: `optimizer_in_bwd`, `enable_activation_offloading`, `compile`; the losses
  CEWithChunkedOutputLoss and LinearCrossEntropyLoss never build the full logits; the
  async GRPO recipes nest `training.loss`; dev/grpo_full_finetune_distributed.py samples
  `grpo_samples` completions per prompt.
- torchtune/models/*/_model_builders.py: builders name the model size
  (data/torchtune_builders.toml); `lora_attn_modules`, `apply_lora_to_mlp` (w1, w2, w3) and
  `apply_lora_to_output` are the LoRA targets.
- eleuther_eval configs (`tasks`), generation (`prompt`) and quantization configs train
  nothing (purpose fact); the recipe named on `tune run` decides whether a run is sharded
  (`sharding_outside`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import tomllib

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.facts import DialectFacts
from tunelint.config.dialects.option_scope import option_scope
from tunelint.config.dialects.reader import (
    KeyReader,
    as_bool,
    as_float,
    as_int,
    dtype_name,
    put_switches,
)
from tunelint.config.dialects.rendering import RenderTable, ToKey, removals, render_fix
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping, Sequence
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_COMPONENT = "_component_"
# `tune run [--nproc_per_node 2] lora_finetune_single_device --config ...`, as torchtune's
# own configs state their recipe in a comment.
_TUNE_RUN = re.compile(r"tune run\b[^\n]*?\s((?:dev/)?[a-z0-9_]+)\s+--config\b")
_RECIPE_KEYS = {
    "tokenizer": 0.1,
    "checkpointer": 0.15,
    "dtype": 0.05,
    "epochs": 0.05,
    "batch_size": 0.05,
    "max_steps_per_epoch": 0.15,
    "enable_activation_checkpointing": 0.15,
    "metric_logger": 0.1,
    "log_every_n_steps": 0.1,
    "loss": 0.05,
}
_OPTIMIZERS = {
    "torch.optim.AdamW": "adamw_torch",
    "bitsandbytes.optim.PagedAdamW8bit": "paged_adamw_8bit",
    "bitsandbytes.optim.PagedAdamW": "paged_adamw_32bit",
    "bitsandbytes.optim.AdamW8bit": "adamw_8bit",
    "torch.optim.SGD": "sgd",
}
SIMPLE: dict[PlanPath, tuple[str, ...]] = {
    ("model", "max_seq_len"): ("tokenizer", "max_seq_len"),
    ("peft", "r"): ("model", "lora_rank"),
    ("peft", "alpha"): ("model", "lora_alpha"),
    ("peft", "dropout"): ("model", "lora_dropout"),
    ("training", "epochs"): ("epochs",),
    ("training", "learning_rate"): ("optimizer", "lr"),
    ("training", "weight_decay"): ("optimizer", "weight_decay"),
    ("training", "micro_batch_size"): ("batch_size",),
    ("training", "gradient_accumulation_steps"): ("gradient_accumulation_steps",),
    ("training", "gradient_checkpointing"): ("enable_activation_checkpointing",),
    ("training", "warmup_steps"): ("lr_scheduler", "num_warmup_steps"),
    ("training", "max_grad_norm"): ("clip_grad_norm",),
    ("training", "sample_packing"): ("dataset", "packed"),
    ("training", "seed"): ("seed",),
    ("output", "dir"): ("output_dir",),
}


def _component(node: Any) -> str | None:
    if isinstance(node, Mapping):
        entry = node.get(_COMPONENT)
        if entry is not None and isinstance(entry.value.plain(), str):
            return entry.value.plain()
    return None


def _components(doc: Document) -> list[str]:
    root = doc.root
    found: list[str] = []
    if isinstance(root, Mapping):
        for entry in root.entries:
            value = entry.value
            items = value.items if isinstance(value, Sequence) else [value]
            found += [c for c in (_component(item) for item in items) if c]
    return found


def recipe_name(text: str) -> str | None:
    """The recipe the file's own `tune run` comment names, if any."""
    match = _TUNE_RUN.search(text[:4096])
    return match.group(1) if match else None


@cache
def _families() -> dict[str, str]:
    data = (Path(__file__).parent / "data" / "torchtune_builders.toml").read_text("utf-8")
    return tomllib.loads(data)["family"]


def builder_model(builder: str) -> str | None:
    """The hub id a builder such as `torchtune.models.llama3_1.lora_llama3_1_8b` is built
    for (Llama-3.1-8B); None for builders of unknown families. The family is the longest
    table entry the builder's name starts with (its package says the same)."""
    short = re.sub(r"^(?:q?lora_|q?dora_)", "", builder.rsplit(".", 1)[-1])
    for family in sorted(_families(), key=len, reverse=True):
        rest = short.removeprefix(family + "_")
        if rest != short and re.fullmatch(r"\d+(?:_\d+)?b", rest):
            size = rest.replace("_", ".")
            return _families()[family].format(size=size.upper(), size_lower=size)
    return None


def _loss_keys(reader: KeyReader) -> tuple[str, ...]:
    """Where the loss is: top-level `loss`, or `training.loss` (the async GRPO recipes)."""
    return (
        ("training", "loss")
        if reader.node("loss") is None and reader.has("training", "loss")
        else ("loss",)
    )


def _loss_name(reader: KeyReader) -> str:
    return (_component(reader.node(*_loss_keys(reader))) or "").rsplit(".", 1)[-1]


def _purpose(reader: KeyReader) -> str:
    """Recipes that train name an optimizer or a loss; eleuther_eval configs name `tasks`,
    generate configs a `prompt` / `max_new_tokens`, quantize configs a `quantizer` alone."""
    if reader.has("optimizer") or reader.has("loss") or reader.has("training"):
        return "train"
    if reader.has("tasks"):
        return "evaluate"
    if reader.has("prompt") or reader.has("max_new_tokens") or reader.has("quantizer"):
        return "infer"
    return "train"


def detect_torchtune(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    components = _components(doc)
    if not components:
        return 0.0
    # Component paths (`_component_: torchtune.models...`) are the format's signature.
    bonus = 0.5 + (0.35 if any(c.startswith("torchtune.") for c in components) else 0.0)
    return marker_score(set(root.keys()), _RECIPE_KEYS, bonus=bonus)


class TorchtuneDialect:
    name = "torchtune"
    label = "torchtune"

    def detect(self, doc: Document) -> float:
        return detect_torchtune(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        found: dict[str, Any] = {
            F.TRAINER: "torchtune",
            F.LOADER: F.OMEGACONF,
            F.SHARDING_OUTSIDE: True,  # the recipe named on `tune run` shards, or not
        }
        builder = _component(reader.node("model")) or ""
        # The builder builds the model (the checkpoint's weights are loaded into it), so a
        # builder whose size is known names the model exactly; the checkpointer's folder
        # (e.g. /tmp/Meta-Llama-3.1-8B-Instruct/, often not on the linting machine) is the
        # model only for builders of families the table does not know.
        checkpoint = reader.value("checkpointer", "checkpoint_dir")
        built = builder_model(builder)
        if (
            built is None
            and isinstance(checkpoint, str)
            and checkpoint.strip()
            and "${" not in checkpoint
        ):
            reader.put(("model", "name"), checkpoint, "checkpointer", "checkpoint_dir")
        else:
            reader.put(("model", "name"), built or builder, "model", _COMPONENT)
        self._peft(reader, builder)
        self._method(reader)
        self._loaded_models(reader)
        seq = as_int(reader.value("tokenizer", "max_seq_len"))
        if seq is not None and seq > 0:
            reader.put(("model", "max_seq_len"), seq, "tokenizer", "max_seq_len")
        dtype = dtype_name(reader.value("dtype"))
        if dtype is not None:
            reader.put(("precision",), dtype, "dtype")
            found[F.WEIGHTS_DTYPE] = dtype  # torchtune trains in this dtype, no autocast
        self._training(reader)
        dataset = reader.node("dataset")
        first = dataset.items[0] if isinstance(dataset, Sequence) and dataset.items else dataset
        name = _component(first)
        if name:
            reader.put(("data", "train"), name, "dataset")
        packed = (
            as_bool(first.get("packed").value.plain())
            if isinstance(first, Mapping) and first.get("packed")
            else None
        )  # type: ignore[union-attr]
        if packed is not None:
            reader.put(("training", "sample_packing"), packed, "dataset", "packed")
        output = reader.value("output_dir")
        if isinstance(output, str):
            reader.put(("output", "dir"), output, "output_dir")
        R.read_splits(reader, found, "dataset", "source", "split")
        R.read_fp8(reader, found, "enable_fp8_training")
        found[F.PURPOSE] = _purpose(reader)
        if "qat" in (_component(reader.node("quantizer")) or "").lower():
            found[F.FULL_REASONS] = ["`quantizer`: quantization-aware training"]
        found[F.WRITTEN] = frozenset(reader.written)
        found[F.OPTIONS] = option_scope(
            reader,
            "torchtune",
            section=recipe_name(doc.text),
            open_keys="the recipe that runs it reads it (torchtune ignores the rest)",
        )
        return MappedConfig(
            data=reader.data, source_map=reader.source_map, facts=DialectFacts.of(found)
        )

    @staticmethod
    def _peft(reader: KeyReader, builder: str) -> None:
        short = builder.rsplit(".", 1)[-1]
        if short.startswith("qlora_"):
            kind = "qlora"
        elif short.startswith("lora_"):
            kind = "lora"
        else:
            kind = "full"
        reader.put(("peft", "kind"), kind, "model", _COMPONENT)
        if kind == "full":
            return
        rank = as_int(reader.value("model", "lora_rank"))
        if rank and rank > 0:
            reader.put(("peft", "r"), rank, "model", "lora_rank")
        alpha = as_float(reader.value("model", "lora_alpha"))
        if alpha and alpha > 0:
            reader.put(("peft", "alpha"), alpha, "model", "lora_alpha")
        dropout = as_float(reader.value("model", "lora_dropout"))
        if dropout is not None and 0 <= dropout < 1:
            reader.put(("peft", "dropout"), dropout, "model", "lora_dropout")
        modules = reader.value("model", "lora_attn_modules")
        if isinstance(modules, list) and modules and all(isinstance(m, str) for m in modules):
            if as_bool(reader.value("model", "apply_lora_to_mlp")):
                modules = [*modules, "w1", "w2", "w3"]  # torchtune's MLP projections
            if as_bool(reader.value("model", "apply_lora_to_output")):
                modules = [*modules, "output"]  # the final projection (lm head)
            reader.put(("peft", "target_modules"), modules, "model", "lora_attn_modules")

    @staticmethod
    def _method(reader: KeyReader) -> None:
        loss = _loss_name(reader).lower()
        kind = "sft"
        if "dpo" in loss or "rso" in loss or "simpo" in loss:
            kind = "dpo"
        elif "ppo" in loss:
            kind = "ppo"
        elif "grpo" in loss:
            kind = "grpo"
        reader.put(("method", "kind"), kind, *_loss_keys(reader), _COMPONENT)
        # The GRPO recipe's own group size (recipes/dev/grpo_full_finetune_distributed.py).
        samples = as_int(reader.value("grpo_samples"))
        if samples is not None and samples >= 1:
            reader.put(("method", "num_generations"), samples, "grpo_samples")
        reward = _component(reader.node("reward_and_value_model"))
        if reward:
            reader.put(("method", "reward_model"), reward, "reward_and_value_model")
        if kind == "dpo":
            reader.put(("data", "format"), "preference")

    @staticmethod
    def _loaded_models(reader: KeyReader) -> None:
        """Models the recipe loads beside the trained one. KD recipes
        (recipes/knowledge_distillation_*.py) build `teacher_model` and load it from
        `teacher_checkpointer`, frozen; the async GRPO recipe (recipes/dev/
        async_grpo_full_finetune_distributed.py) generates with `inference.engine: vllm`
        on its own inference workers, not the training GPUs."""
        teacher = _component(reader.node("teacher_model"))
        if teacher:
            folder = reader.value("teacher_checkpointer", "checkpoint_dir")
            if isinstance(folder, str) and folder.strip() and "${" not in folder:
                reader.put(
                    ("method", "teacher_model"), folder, "teacher_checkpointer", "checkpoint_dir"
                )
            else:
                name = builder_model(teacher) or teacher
                reader.put(("method", "teacher_model"), name, "teacher_model", _COMPONENT)
        engine = reader.value("inference", "engine")
        if isinstance(engine, str) and engine.lower() == "vllm":
            reader.put(("method", "vllm_mode"), "server", "inference", "engine")

    @staticmethod
    def _training(reader: KeyReader) -> None:
        for path, keys, convert in (
            (("training", "epochs"), ("epochs",), as_float),
            (("training", "micro_batch_size"), ("batch_size",), as_int),
            (("training", "gradient_accumulation_steps"), ("gradient_accumulation_steps",), as_int),
            (("training", "learning_rate"), ("optimizer", "lr"), as_float),
            (("training", "max_grad_norm"), ("clip_grad_norm",), as_float),
            (("training", "warmup_steps"), ("lr_scheduler", "num_warmup_steps"), as_int),
            (("training", "seed"), ("seed",), as_int),
            (("training", "logging_steps"), ("log_every_n_steps",), as_int),
        ):
            value = convert(reader.value(*keys))
            if value is not None and (
                value > 0 or (value == 0 and path[-1] in ("warmup_steps", "seed"))
            ):
                reader.put(path, value, *keys)
        decay = as_float(reader.value("optimizer", "weight_decay"))
        if decay is not None and decay >= 0:
            reader.put(("training", "weight_decay"), decay, "optimizer", "weight_decay")
        optimizer = _component(reader.node("optimizer"))
        if optimizer in _OPTIMIZERS:
            name = _OPTIMIZERS[optimizer]
            if name == "adamw_torch" and as_bool(reader.value("optimizer", "fused")):
                name = "adamw_torch_fused"
            reader.put(("training", "optimizer"), name, "optimizer", _COMPONENT)
        scheduler = (_component(reader.node("lr_scheduler")) or "").lower()
        if "cosine" in scheduler:
            reader.put(("training", "lr_scheduler"), "cosine", "lr_scheduler", _COMPONENT)
        elif "linear" in scheduler:
            reader.put(("training", "lr_scheduler"), "linear", "lr_scheduler", _COMPONENT)
        # recipes/*: the chunked / linear cross-entropy losses never build the full logits;
        # `optimizer_in_bwd` steps per parameter in backward; offloading and compile flags.
        loss = _loss_name(reader)
        if loss in ("CEWithChunkedOutputLoss", "LinearCrossEntropyLoss") or "Chunked" in loss:
            reader.put(("training", "chunked_loss"), True, *_loss_keys(reader), _COMPONENT)
        put_switches(
            reader,
            [
                (("training", "optimizer_in_backward"), "optimizer_in_bwd"),
                (("training", "activation_offloading"), "enable_activation_offloading"),
                (("training", "compile"), "compile"),
            ],
        )
        checkpointing = as_bool(reader.value("enable_activation_checkpointing"))
        if checkpointing is not None:
            reader.put(
                ("training", "gradient_checkpointing"),
                checkpointing,
                "enable_activation_checkpointing",
            )

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


RENDER = RenderTable(
    set={
        **SIMPLE,
        # torchtune has bf16 and fp32 only.
        ("precision",): ToKey(("dtype",), {"bf16": "bf16", "fp32": "fp32"}, only=True),
    },
    remove=removals(SIMPLE),
)
