"""Reading a dialect's keys into Plan-shaped data while recording where each value came from.

Every dialect module drives one `KeyReader` over its document: `put` copies a value to a
canonical Plan path and points the source map at the dialect key; every key of the file is
also indexed as a `DialectKey` (with the role of a file read alongside) so that findings
about keys the Plan has no field for still land on the right line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects.base import MappedConfig
from tunelint.config.dialects.facts import DialectFacts, KeyRef, MissingFile, Yaml11String
from tunelint.config.document import Document, Entry, Mapping, Node, Scalar, Sequence
from tunelint.config.plan_edits import DialectKey, PlanPath
from tunelint.config.source_map import KeyIndex, SourceLocation, SourceMap

_EXPONENT_FLOAT = re.compile(r"^([-+]?)([0-9]+)(?:\.([0-9]*))?[eE]([-+]?)([0-9]+)$")


def yaml11_safe_float(raw: str) -> str | None:
    """`2e-5` -> `2.0e-5`: a dot in the mantissa and a signed exponent (PyYAML needs both)."""
    m = _EXPONENT_FLOAT.match(raw)
    if m is None:
        return None
    sign, whole, frac, exp_sign, exp = m.groups()
    return f"{sign}{whole}.{frac or '0'}e{exp_sign or '+'}{exp}"


class KeyReader:
    """One document's keys, read into Plan-shaped `data` with a `SourceMap`."""

    def __init__(
        self,
        doc: Document,
        parent: KeyReader | None = None,
        *,
        file: str | None = None,
        role: str | None = None,
    ) -> None:
        """A reader of `doc`; with `parent`, a related file writing into the parent's Plan."""
        self.doc = doc
        self.root: Mapping | None = doc.root if isinstance(doc.root, Mapping) else None
        # A top-level key's entry: most look-ups are one key (bound once, called ~100 times).
        self._top: Callable[[str], Entry | None] = (
            self.root.get if self.root is not None else _absent
        )
        self.file = file  # None: the linted file; else a related file's path
        self.role = role
        self.source_map: SourceMap = parent.source_map if parent else SourceMap()
        self.data: dict[str, Any] = parent.data if parent else {}
        self.written: set[PlanPath] = parent.written if parent else set()
        # Files this one names that could not be found (shared with related readers).
        self.missing: list[MissingFile] = parent.missing if parent else []
        # Plan paths whose value the file writes in a form tunelint cannot map (an optimizer
        # or method it has no name for): rules tuned to the known values skip them.
        self.unmapped: set[PlanPath] = parent.unmapped if parent else set()
        if self.root is not None:  # every key, indexed when the first one is looked up
            self.source_map.index_later(partial(_index, self.root, (), self.role, self.file))

    # -- looking things up -------------------------------------------------------------

    def entry(self, *keys: str) -> Entry | None:
        if len(keys) == 1:  # most look-ups: a top-level key
            return self._top(keys[0])
        if self.root is None:
            return None
        return self.doc.node_at(keys)[0]

    def node(self, *keys: str) -> Node | None:
        entry = self._top(keys[0]) if len(keys) == 1 else self.entry(*keys)
        return entry.value if entry is not None else None

    def has(self, *keys: str) -> bool:
        return (self._top(keys[0]) if len(keys) == 1 else self.entry(*keys)) is not None

    def value(self, *keys: str) -> Any:
        """The plain value at `keys` (YAML 1.2 reading), or None when absent."""
        entry = self._top(keys[0]) if len(keys) == 1 else self.entry(*keys)
        return entry.value.plain() if entry is not None else None

    def keys(self) -> list[str]:
        return self.root.keys() if self.root is not None else []

    def ref(self, *keys: str) -> KeyRef:
        """A key's value: findings at this ref underline the value."""
        return KeyRef(DialectKey(keys, self.role), ".".join(keys), self.file)

    def key_ref(self, *keys: str) -> KeyRef:
        """A key itself (for findings about the key, such as a removed one)."""
        return KeyRef(DialectKey(keys, self.role, key_itself=True), ".".join(keys), self.file)

    # -- writing the Plan side ---------------------------------------------------------

    def locate(self, path: PlanPath, *keys: str) -> Entry | None:
        """Point the canonical `path` at the dialect key `keys` (without setting a value);
        the key's entry, or None when the file does not write it."""
        entry = self._top(keys[0]) if len(keys) == 1 else self.entry(*keys)
        if entry is not None:
            self.source_map.add(
                path,
                SourceLocation(entry.key.range, entry.value.range, self.file, ".".join(keys)),
            )
        return entry

    def put(self, path: PlanPath, value: Any, *keys: str) -> None:
        """Set the Plan value at `path`; with `keys`, that dialect key is where it was written."""
        node = self.data
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = value
        if keys and self.locate(path, *keys) is not None:
            self.written.add(path)

    def get(self, path: PlanPath) -> Any:
        node: Any = self.data
        for part in path:
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def default(self, path: PlanPath, value: Any) -> None:
        """The dialect's own default where the file is silent and it differs from the Plan's."""
        if self.get(path) is None:
            self.put(path, value)

    # -- the result ----------------------------------------------------------------------

    def mapped(self, found: dict[str, Any], related: dict[str, Document]) -> MappedConfig:
        """The dialect's reading: the Plan data and where it came from, with the facts it
        found and what every reader tracks (keys written, files missing, values not mapped)."""
        found[F.WRITTEN] = frozenset(self.written)
        found[F.MISSING_FILES] = self.missing
        found[F.UNMAPPED] = frozenset(self.unmapped)
        return MappedConfig(
            data=self.data,
            source_map=self.source_map,
            facts=DialectFacts.of(found),
            related=related,
        )

    # -- facts -------------------------------------------------------------------------

    def yaml11_strings(self) -> list[Yaml11String]:
        """Top-level numbers written so that a YAML 1.1 loader (PyYAML) reads a string."""
        found: list[Yaml11String] = []
        if self.root is None:
            return found
        for entry in self.root.entries:
            node = entry.value
            if (
                isinstance(node, Scalar)
                and isinstance(node.value, float)
                and isinstance(node.yaml11_value, str)
            ):
                safe = yaml11_safe_float(node.raw)
                if safe is not None:
                    key = str(entry.key.value)
                    found.append(Yaml11String(self.ref(key), node.raw, node.value, safe))
        return found


def _absent(_key: str) -> None:
    """The top-level look-up of a document whose root is not a mapping."""
    return None


def _index(
    mapping: Mapping,
    keys: tuple[str, ...],
    role: str | None,
    file: str | None,
    into: KeyIndex,
) -> None:
    """Every key under `mapping` (mappings in a list by position), in document order."""
    location = SourceLocation._make  # one per key of the file: no keyword handling
    for entry in mapping.entries:
        path = (*keys, str(entry.key.value))
        value = entry.value
        into[(path, role)] = location((entry.key.range, value.range, file, ".".join(path)))
        if isinstance(value, Mapping):
            _index(value, path, role, file, into)
        elif isinstance(value, Sequence):
            for index, item in enumerate(value.items):
                if isinstance(item, Mapping):
                    _index(item, (*path, str(index)), role, file, into)


def as_bool(value: Any) -> bool | None:
    """A flag as trainers read it: true/false, also the strings "true"/"false"; else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def dtype_name(value: Any) -> str | None:
    """`bfloat16` / `bf16` / `torch.bfloat16` -> "bf16" (and fp16, fp32); else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removeprefix("torch.")
    if text in ("bfloat16", "bf16"):
        return "bf16"
    if text in ("float16", "fp16", "half"):
        return "fp16"
    if text in ("float32", "fp32", "float"):
        return "fp32"
    return None


Converter = Callable[[Any], "int | float | None"]
# Values where 0 is meaningful (a seed of 0, no warm-up); elsewhere 0 means "not set".
ZERO_OK = frozenset({"warmup_steps", "warmup_ratio", "weight_decay", "seed", "lora_dropout"})


def hf_training_fields(
    learning_rate: float | None,
) -> list[tuple[PlanPath, str, Converter, float | None]]:
    """Hugging Face TrainingArguments keys (LLaMA-Factory and TRL configs share them), as
    (Plan path, key, converter, the TrainingArguments default or None)."""
    return [
        (("training", "epochs"), "num_train_epochs", as_float, 3.0),
        (("training", "max_steps"), "max_steps", as_int, None),
        (("training", "learning_rate"), "learning_rate", as_float, learning_rate),
        (("training", "micro_batch_size"), "per_device_train_batch_size", as_int, 8),
        (("training", "gradient_accumulation_steps"), "gradient_accumulation_steps", as_int, None),
        (("training", "weight_decay"), "weight_decay", as_float, None),
        (("training", "max_grad_norm"), "max_grad_norm", as_float, None),
        (("training", "seed"), "seed", as_int, None),
        (("training", "logging_steps"), "logging_steps", as_int, None),
        (("training", "save_steps"), "save_steps", as_int, None),
    ]


def put_switches(reader: KeyReader, switches: Iterable[tuple[PlanPath, str]]) -> None:
    """Put True on each Plan path whose key is switched on (a truthy string such as
    `offload` or `legacy` counts as on); the first key written wins for a path."""
    for path, key in switches:
        value = reader.value(key)
        on = as_bool(value) if not isinstance(value, str) or as_bool(value) is not None else True
        if on and reader.get(path) is not True:
            reader.put(path, True, key)


def string_list(value: Any) -> list[str] | None:
    """A list of names, or a comma-separated string of them (LLaMA-Factory's style)."""
    if isinstance(value, str) and value.strip():
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return value
    return None


def read_fields(
    reader: KeyReader, fields: Iterable[tuple[PlanPath, str, Converter, float | None]]
) -> None:
    """Put each positive (or meaningful zero) value on its Plan path; else the default."""
    for path, key, convert, default in fields:
        value = convert(reader.value(key))
        if value is not None and (value > 0 or (value == 0 and key in ZERO_OK)):
            reader.put(path, value, key)
        elif default is not None:
            reader.put(path, default)  # the trainer's own default
