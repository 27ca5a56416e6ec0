"""DeepSpeed JSON configs (`ds_config.json`, `zero3.json`): ZeRO stage, offload, precision and
the batch values a trainer would otherwise fill in.

Read on its own, a DeepSpeed file is a fragment of a run (no model, no method): its Plan has a
placeholder model and the `fragment` fact. Read from an axolotl / LLaMA-Factory / TRL config
that names it (`deepspeed: ds_z3.json`), the same reader supplies the ZeRO stage and offload
to that config's Plan, and the values the JSON fixes instead of `"auto"` to the rules that
compare them with the trainer's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.facts import (
    DeepSpeedValue,
    DialectFacts,
    MissingFile,
    PrecisionPair,
)
from tunelint.config.dialects.option_scope import option_scope
from tunelint.config.dialects.reader import KeyReader, as_bool, as_float, as_int
from tunelint.config.dialects.rendering import RenderTable, ToKey, render_fix, set_key
from tunelint.config.dialects.score import marker_score
from tunelint.config.document import Document, Mapping, Scalar, Sequence
from tunelint.config.plan_edits import PlanEdit, PlanPath
from tunelint.config.positions import TextEdit
from tunelint.config.source_map import SourceMap

if TYPE_CHECKING:
    from tunelint.config.plan import Plan

_NAME_HINT = re.compile(r"(^|[\\/_.-])(ds|deepspeed|zero[0-3]?)([\\/_.-]|$)", re.IGNORECASE)
_MARKERS = {
    "zero_optimization": 0.6,
    "train_micro_batch_size_per_gpu": 0.35,
    "train_batch_size": 0.2,
    "gradient_clipping": 0.15,
    "zero_allow_untested_optimizer": 0.3,
    "wall_clock_breakdown": 0.2,
    "steps_per_print": 0.15,
    "fp16": 0.1,
    "bf16": 0.1,
    "optimizer": 0.05,
    "scheduler": 0.05,
    "gradient_accumulation_steps": 0.05,
}
# DeepSpeed settings a HF Trainer also sets, and the Plan field holding the trainer's value.
_TRAINER_VALUES: tuple[tuple[tuple[str, ...], PlanPath], ...] = (
    (("train_micro_batch_size_per_gpu",), ("training", "micro_batch_size")),
    (("gradient_accumulation_steps",), ("training", "gradient_accumulation_steps")),
    (("gradient_clipping",), ("training", "max_grad_norm")),
    (("optimizer", "params", "lr"), ("training", "learning_rate")),
    (("optimizer", "params", "weight_decay"), ("training", "weight_decay")),
)
_SIMPLE_RENDER: dict[PlanPath, tuple[str, ...]] = {path: keys for keys, path in _TRAINER_VALUES}


@dataclass
class DeepSpeedSettings:
    """What a DeepSpeed config says, with where it says it."""

    stage: int | None = None
    offload: bool = False
    fp16: bool | None = None  # None: absent or "auto"
    bf16: bool | None = None
    values: list[DeepSpeedValue] = field(default_factory=list)
    both_precisions: PrecisionPair | None = None
    precision_key: tuple[str, ...] | None = None  # the key the Plan's precision comes from

    @property
    def distributed(self) -> str | None:
        if self.stage is None:
            return None
        return "ddp" if self.stage == 0 else f"deepspeed-zero{min(self.stage, 3)}"

    @property
    def precision(self) -> str | None:
        if self.bf16 and self.fp16:
            return "bf16"  # both on is its own finding; bf16 is what DeepSpeed asserts against
        if self.bf16:
            return "bf16"
        if self.fp16:
            return "fp16"
        if self.fp16 is False and self.bf16 is False:
            return "fp32"
        return None


def _bf16_key(reader: KeyReader) -> str:
    # DeepSpeed accepts "bfloat16" as an alias of the "bf16" section.
    return "bfloat16" if reader.has("bfloat16") and not reader.has("bf16") else "bf16"


def read_settings(reader: KeyReader) -> DeepSpeedSettings:
    """Read a DeepSpeed document through `reader` (the linted file or a related one)."""
    out = DeepSpeedSettings()
    stage = as_int(reader.value("zero_optimization", "stage"))
    if stage is not None and 0 <= stage <= 3:
        out.stage = stage
    for section in ("offload_optimizer", "offload_param"):
        device = reader.value("zero_optimization", section, "device")
        if isinstance(device, str) and device.lower() in ("cpu", "nvme"):
            out.offload = True
    if as_bool(reader.value("zero_optimization", "cpu_offload")):  # pre-0.4 spelling
        out.offload = True
    bf16 = _bf16_key(reader)
    for name, attr in (("fp16", "fp16"), (bf16, "bf16")):
        flag = as_bool(reader.value(name, "enabled"))
        setattr(out, attr, flag)
        if flag is not None:
            out.values.append(
                DeepSpeedValue(f"{name}.enabled", flag, reader.ref(name, "enabled"), ("precision",))
            )
    if out.fp16 and out.bf16:
        out.both_precisions = PrecisionPair(
            reader.ref("fp16", "enabled"), reader.ref(bf16, "enabled")
        )
    if out.bf16:
        out.precision_key = (bf16, "enabled")
    elif out.fp16:
        out.precision_key = ("fp16", "enabled")
    for keys, path in _TRAINER_VALUES:
        raw = reader.value(*keys)
        if raw is None or raw == "auto":
            continue
        value = (
            as_float(raw)
            if path[-1] in ("learning_rate", "max_grad_norm", "weight_decay")
            else as_int(raw)
        )
        if value is not None:
            out.values.append(DeepSpeedValue(".".join(keys), value, reader.ref(*keys), path))
    return out


def detect_deepspeed(doc: Document) -> float:
    root = doc.root
    if not isinstance(root, Mapping):
        return 0.0
    keys = set(root.keys())
    bonus = 0.0
    zero = root.get("zero_optimization")
    if zero is not None and isinstance(zero.value, Mapping) and zero.value.get("stage") is not None:
        bonus += 0.3
    for name in ("fp16", "bf16"):
        section = root.get(name)
        if (
            section is not None
            and isinstance(section.value, Mapping)
            and section.value.get("enabled")
        ):
            bonus += 0.1
    seen = bonus > 0 or any(key in keys for key in _MARKERS)
    if seen and _NAME_HINT.search(doc.filename.rsplit("/", 1)[-1]):
        bonus += 0.1
    # Without a DeepSpeed-only key this is some other JSON that happens to say "fp16".
    return marker_score(
        keys,
        _MARKERS,
        bonus=bonus,
        requires=(
            "zero_optimization",
            "train_micro_batch_size_per_gpu",
            "train_batch_size",
            "zero_allow_untested_optimizer",
        ),
        cap_without=0.3,
    )


class DeepSpeedDialect:
    name = "deepspeed"
    label = "DeepSpeed config"

    def detect(self, doc: Document) -> float:
        return detect_deepspeed(doc)

    def map(self, doc: Document) -> MappedConfig:
        reader = KeyReader(doc)
        settings = read_settings(reader)
        # A fragment: the model lives in the trainer config that names this file.
        reader.put(("model", "name"), "")
        if settings.distributed is not None:
            reader.put(
                ("hardware", "distributed"), settings.distributed, "zero_optimization", "stage"
            )
        if settings.offload:
            reader.put(("hardware", "cpu_offload"), True)
            reader.locate(("hardware", "cpu_offload"), "zero_optimization")
        if settings.precision is not None:
            keys = settings.precision_key or ("fp16", "enabled")
            reader.put(("precision",), settings.precision, *keys)
        for value in settings.values:
            if value.plan_path != ("precision",):
                reader.put(value.plan_path, value.value, *value.setting.split("."))
        found: dict[str, Any] = {
            F.FRAGMENT: True,
            F.LOADER: F.JSON,
            # Hard-coded values no trainer config nearby vouches for (TL522), in a file written
            # for the HF integration (it uses "auto" elsewhere: a plain `deepspeed` launch
            # accepts no "auto" and needs the numbers); a config that names this file is
            # checked against them when it is linted (TL504).
            F.DEEPSPEED_VALUES: (
                settings.values if _uses_auto(doc.root) and not _used_nearby(doc) else []
            ),
            F.WRITTEN: frozenset(reader.written),
            F.BOTH_PRECISIONS: [settings.both_precisions] if settings.both_precisions else [],
            F.OPTIONS: option_scope(
                reader,
                "deepspeed",
                open_keys="the training script reads it from the DeepSpeed config itself",
            ),
        }
        return MappedConfig(
            data=reader.data, source_map=reader.source_map, facts=DialectFacts.of(found)
        )

    def render(
        self, doc: Document, source_map: SourceMap, plan: Plan | None, edits: Iterable[PlanEdit]
    ) -> list[TextEdit] | None:
        return render_fix(doc, edits, RENDER)


def render_precision(doc: Document, precision: Any) -> list[TextEdit] | None:
    """Switch the fp16/bf16 sections: the wanted one enabled, the other disabled if present."""
    root = doc.root
    if not isinstance(root, Mapping):
        return None
    bf16 = "bfloat16" if root.get("bfloat16") and not root.get("bf16") else "bf16"
    wanted = {"bf16": (bf16, "fp16"), "fp16": ("fp16", bf16)}.get(precision)
    edits: list[TextEdit] = []
    if wanted is None:
        if precision != "fp32":
            return None
        for name in ("fp16", bf16):
            if root.get(name) is not None:
                edits += set_key(doc, (name, "enabled"), False) or []
        return edits
    on, off = wanted
    edits += set_key(doc, (on, "enabled"), True) or []
    off_node = doc.node_at((off, "enabled"))[1]
    if root.get(off) is not None and (off_node is None or as_bool(off_node.plain()) is not False):
        edits += set_key(doc, (off, "enabled"), False) or []
    return edits


_STAGE_IN_NAME = re.compile(r"(?:zero|z|stage)[_-]?([0-3])(?![0-9])", re.IGNORECASE)


def _uses_auto(node: Any) -> bool:
    """Any value "auto": the file is meant for the HF Trainer / accelerate integration."""
    if isinstance(node, Mapping):
        return any(_uses_auto(entry.value) for entry in node.entries)
    if isinstance(node, Sequence):
        return any(_uses_auto(item) for item in node.items)
    return isinstance(node, Scalar) and node.value == "auto"


def _used_nearby(doc: Document) -> bool:
    from pathlib import Path

    from tunelint.config.dialects.related import named_nearby

    return not doc.filename.startswith("<") and named_nearby(Path(doc.filename))


def attach_deepspeed(
    reader: KeyReader, keys: tuple[str, ...], related: dict[str, Document]
) -> DeepSpeedSettings | None:
    """Read the DeepSpeed JSON that `keys` names into `reader`'s Plan (stage, offload).

    Returns its settings when the file was found and read; otherwise the ZeRO stage is taken
    from the file name when it says one (`ds_z3_config.json`, `zero2.json`), at the key.
    """
    from tunelint.config.dialects.related import display_path, read_related, resolve_reference

    reference = reader.value(*keys)
    if not isinstance(reference, str) or not reference.strip():
        return None
    reader.put(("hardware", "deepspeed_config"), reference, *keys)
    path = resolve_reference(reader.doc.filename, reference.strip())
    doc = read_related(path) if path is not None else None
    if doc is None or not isinstance(doc.root, Mapping):
        if path is None:
            reader.missing.append(MissingFile(reader.ref(*keys), reference, "DeepSpeed config"))
        named = _STAGE_IN_NAME.search(reference.rsplit("/", 1)[-1])
        if named:
            stage = int(named.group(1))
            reader.put(
                ("hardware", "distributed"),
                "ddp" if stage == 0 else f"deepspeed-zero{stage}",
                *keys,
            )
        return None
    shown = display_path(path) if path is not None else reference
    related[shown] = doc
    ds_reader = KeyReader(doc, reader, file=shown, role="deepspeed")
    settings = read_settings(ds_reader)
    if settings.distributed is not None:
        ds_reader.put(
            ("hardware", "distributed"), settings.distributed, "zero_optimization", "stage"
        )
    if settings.offload:
        ds_reader.put(("hardware", "cpu_offload"), True, "zero_optimization")
    return settings


RENDER = RenderTable(
    set={
        **_SIMPLE_RENDER,
        ("precision",): render_precision,
        ("hardware", "distributed"): ToKey(
            ("zero_optimization", "stage"),
            {"deepspeed-zero1": 1, "deepspeed-zero2": 2, "deepspeed-zero3": 3},
            only=True,
        ),
        ("hardware", "cpu_offload"): ToKey(
            ("zero_optimization", "offload_optimizer", "device"),
            {True: "cpu", False: "none"},
            only=True,
        ),
    }
)
