"""accelerate launch configs (`accelerate config` output, `--config_file`): how many processes,
which distribution (DDP, FSDP, DeepSpeed), which mixed precision.

Like a DeepSpeed JSON, an accelerate YAML is a fragment of a run. A TRL config names one with
`accelerate_config:` (a path, or a name of a config shipped with TRL such as `zero3`), and an
accelerate YAML may itself name a DeepSpeed JSON (`deepspeed_config_file`).

`mixed_precision: "no"` means accelerate adds no autocast; the trainer it launches (HF
Trainer `bf16`, axolotl, LLaMA-Factory) sets the precision, so the file alone leaves the
Plan's precision unset rather than claiming fp32 training (accelerate/accelerator.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects import run_facts as R
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.deepspeed import DeepSpeedSettings
from tunelint.config.dialects.facts import DeepSpeedValue, DialectFacts, MissingFile
from tunelint.config.dialects.option_scope import option_scope
from tunelint.config.dialects.reader import KeyReader, as_bool, as_int
from tunelint.config.dialects.rendering import RenderTable, ToKey, render_fix, set_key
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping
from tunelint.config.plan_edits import PlanEdit
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_MARKERS = {
    "compute_environment": 0.5,
    "distributed_type": 0.4,
    "mixed_precision": 0.15,
    "num_processes": 0.1,
    "num_machines": 0.1,
    "machine_rank": 0.1,
    "main_training_function": 0.2,
    "downcast_bf16": 0.15,
    "rdzv_backend": 0.1,
    "use_cpu": 0.05,
    "deepspeed_config": 0.1,
    "fsdp_config": 0.1,
}
_DISTRIBUTED = {"NO": "none", "MULTI_GPU": "ddp", "FSDP": "fsdp"}
_PRECISION = {"bf16": "bf16", "fp16": "fp16", "no": "fp32"}
# Configs shipped with TRL (`trl sft --accelerate_config zero3`), as their files say.
TRL_BUILTIN: dict[str, tuple[str, str]] = {
    "single_gpu": ("none", "bf16"),
    "multi_gpu": ("ddp", "bf16"),
    "fsdp1": ("fsdp", "bf16"),
    "fsdp2": ("fsdp", "bf16"),
    "zero1": ("deepspeed-zero1", "bf16"),
    "zero2": ("deepspeed-zero2", "bf16"),
    "zero3": ("deepspeed-zero3", "bf16"),
}


@dataclass
class AccelerateSettings:
    distributed: str | None = None
    precision: str | None = None
    processes: int | None = None
    machines: int | None = None
    offload: bool = False
    deepspeed_file: str | None = None
    values: list[DeepSpeedValue] = field(default_factory=list)

    @property
    def per_node(self) -> int | None:
        if self.processes is None:
            return None
        return max(1, self.processes // max(1, self.machines or 1))


def read_settings(reader: KeyReader) -> AccelerateSettings:
    out = AccelerateSettings()
    kind = reader.value("distributed_type")
    if isinstance(kind, str):
        kind = kind.upper()
        if kind == "DEEPSPEED":
            stage = as_int(reader.value("deepspeed_config", "zero_stage"))
            out.distributed = f"deepspeed-zero{stage}" if stage in (1, 2, 3) else None
            if stage == 0:
                out.distributed = "ddp"
        else:
            out.distributed = _DISTRIBUTED.get(kind)
    precision = reader.value("mixed_precision")
    if isinstance(precision, str):
        out.precision = _PRECISION.get(precision.lower())
    elif precision is False:  # `mixed_precision: no` unquoted is a YAML 1.1 false
        out.precision = "fp32"
    out.processes = as_int(reader.value("num_processes"))
    out.machines = as_int(reader.value("num_machines"))
    for keys in (
        ("deepspeed_config", "offload_optimizer_device"),
        ("deepspeed_config", "offload_param_device"),
    ):
        device = reader.value(*keys)
        if isinstance(device, str) and device.lower() in ("cpu", "nvme"):
            out.offload = True
    if as_bool(reader.value("fsdp_config", "fsdp_offload_params")):
        out.offload = True
    ds_file = reader.value("deepspeed_config", "deepspeed_config_file")
    if isinstance(ds_file, str) and ds_file.strip():
        out.deepspeed_file = ds_file
    for key, path in (
        ("gradient_accumulation_steps", ("training", "gradient_accumulation_steps")),
        ("gradient_clipping", ("training", "max_grad_norm")),
    ):
        raw = reader.value("deepspeed_config", key)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            out.values.append(
                DeepSpeedValue(
                    f"deepspeed_config.{key}", raw, reader.ref("deepspeed_config", key), path
                )
            )
    return out


def apply_settings(reader: KeyReader, settings: AccelerateSettings) -> None:
    """Put an accelerate file's hardware facts into the Plan `reader` writes to."""
    if settings.distributed is not None:
        reader.put(("hardware", "distributed"), settings.distributed, "distributed_type")
    if settings.per_node is not None:
        reader.put(("hardware", "count"), settings.per_node, "num_processes")
    if settings.machines:
        reader.put(("hardware", "nodes"), settings.machines, "num_machines")
    if settings.offload:
        reader.put(("hardware", "cpu_offload"), True)


def attach_accelerate(
    reader: KeyReader, keys: tuple[str, ...], related: dict[str, Document]
) -> AccelerateSettings | None:
    """Read the accelerate config `keys` names (a path, or a TRL built-in name) into the Plan."""
    from tunelint.config.dialects.deepspeed import attach_deepspeed
    from tunelint.config.dialects.related import display_path, read_related, resolve_reference

    reference = reader.value(*keys)
    if not isinstance(reference, str) or not reference.strip():
        return None
    reference = reference.strip()
    path = resolve_reference(reader.doc.filename, reference)
    doc = read_related(path) if path is not None else None
    if doc is None or not isinstance(doc.root, Mapping):
        builtin = TRL_BUILTIN.get(reference.removesuffix(".yaml"))
        if builtin is None:
            if path is None:
                missing = MissingFile(reader.ref(*keys), reference, "accelerate config")
                reader.missing.append(missing)
            return None
        distributed, precision = builtin
        reader.put(("hardware", "distributed"), distributed, *keys)
        return AccelerateSettings(distributed=distributed, precision=precision)
    shown = display_path(path) if path is not None else reference
    related[shown] = doc
    acc_reader = KeyReader(doc, reader, file=shown, role="accelerate")
    settings = read_settings(acc_reader)
    apply_settings(acc_reader, settings)
    if settings.deepspeed_file:
        ds = attach_deepspeed(acc_reader, ("deepspeed_config", "deepspeed_config_file"), related)
        if ds is not None:
            settings.values.extend(ds.values)
    return settings


def detect_accelerate(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    keys = set(root.keys())
    bonus = 0.0
    kind = root.get("distributed_type")
    if kind is not None and str(kind.value.plain()).upper() in (
        "NO",
        "MULTI_GPU",
        "MULTI_CPU",
        "MULTI_NPU",
        "MULTI_XPU",
        "FSDP",
        "DEEPSPEED",
        "MEGATRON_LM",
        "XLA",
        "TPU",
    ):
        bonus = 0.2
    return marker_score(
        keys,
        _MARKERS,
        bonus=bonus,
        requires=("compute_environment", "distributed_type"),
        cap_without=0.3,
    )


class AccelerateDialect:
    name = "accelerate"
    label = "accelerate config"

    def detect(self, doc: Document) -> float:
        return detect_accelerate(doc)

    def map(self, doc: Document) -> MappedConfig:
        from tunelint.config.dialects.deepspeed import attach_deepspeed

        reader = KeyReader(doc)
        settings = read_settings(reader)
        reader.put(("model", "name"), "")  # a fragment: no model here
        apply_settings(reader, settings)
        if settings.precision not in (None, "fp32"):
            reader.put(("precision",), settings.precision, "mixed_precision")
        elif settings.precision == "fp32":
            # `mixed_precision: "no"`: accelerate adds no autocast; the trainer launched with
            # it (HF Trainer `bf16`, axolotl, LLaMA-Factory) sets the precision itself, so
            # the file alone does not say the run trains in fp32.
            reader.locate(("precision",), "mixed_precision")
        for value in settings.values:
            reader.put(value.plan_path, value.value, *value.setting.split("."))
        related: dict[str, Document] = {}
        ds: DeepSpeedSettings | None = None
        if settings.deepspeed_file:
            ds = attach_deepspeed(reader, ("deepspeed_config", "deepspeed_config_file"), related)
        found: dict[str, Any] = {}
        R.read_wrap_classes(reader, found, ("fsdp_config", "fsdp_transformer_layer_cls_to_wrap"))
        R.read_fp8(reader, found, "mixed_precision", value="fp8")
        found |= {
            F.FRAGMENT: True,
            F.LOADER: F.PYYAML if doc.kind == "yaml" else F.JSON,
            F.WRITTEN: frozenset(reader.written),
            F.MISSING_FILES: reader.missing,
            F.BOTH_PRECISIONS: [ds.both_precisions] if ds and ds.both_precisions else [],
            F.OPTIONS: option_scope(reader, "accelerate"),
        }
        return MappedConfig(
            data=reader.data,
            source_map=reader.source_map,
            facts=DialectFacts.of(found),
            related=related,
        )

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def _render_count(doc: Document, per_node: Any) -> list[TextEdit] | None:
    """GPUs per node -> `num_processes`, which accelerate counts over all machines."""
    if not isinstance(per_node, int):
        return None
    _entry, node = doc.node_at(("num_machines",))
    machines = as_int(node.plain()) if node is not None else None
    return set_key(doc, ("num_processes",), per_node * (machines or 1))


RENDER = RenderTable(
    set={
        ("precision",): ToKey(
            ("mixed_precision",), {"bf16": "bf16", "fp16": "fp16", "fp32": "no"}, only=True
        ),
        ("hardware", "count"): _render_count,
        ("training", "gradient_accumulation_steps"): (
            "deepspeed_config",
            "gradient_accumulation_steps",
        ),
    }
)
