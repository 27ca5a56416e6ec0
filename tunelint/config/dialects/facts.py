"""Facts a dialect knows that the Plan has no field for: the contract between the dialect
readers and the ecosystem rules (tunelint.checks.rules.ecosystem).

A dialect puts them in `MappedConfig.facts` under the names below; rules read them from
`ctx.facts` and never look at text. Where a fact is about a key, it carries a `KeyRef`: a
`DialectKey` (tunelint.config.plan_edits) the source map knows, so a finding lands on that
key in whichever file holds it, and the key as the user wrote it (for messages).

Keys of the linted file may be edited by fixes (SetValue, RemoveKey, RenameKey on the
`DialectKey`); keys of a related file (a DeepSpeed JSON read with the config) are shown in
that file, without a fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from tunelint.config.plan_edits import DialectKey, PlanPath

# Field names of DialectFacts, for dialects that gather facts while reading a file.
FRAGMENT = "fragment"
WRITTEN = "written"
BOTH_PRECISIONS = "both_precisions"
DEEPSPEED_VALUES = "deepspeed_values"
QUANT_STORAGE = "quant_storage"
QUANT_STORAGE_KEY = "quant_storage_key"
DEEPSPEED_AND_FSDP = "deepspeed_and_fsdp"
YAML11_STRINGS = "yaml11_strings"
WEIGHTS_DTYPE = "weights_dtype"
STEPS_PER_GENERATION = "steps_per_generation"
GENERATION_BATCH_SIZE = "generation_batch_size"
TRAINER = "trainer"
OPTIONS = "options"


@dataclass(frozen=True, slots=True)
class KeyRef:
    """A key in the linted file or a related one: its source-map path and its spelling."""

    path: DialectKey
    label: str
    file: str | None = None  # None: the linted file


@dataclass(frozen=True, slots=True)
class PrecisionPair:
    fp16: KeyRef
    bf16: KeyRef


@dataclass(frozen=True, slots=True)
class DeepSpeedValue:
    """A DeepSpeed setting fixed in the JSON, and the Plan field the trainer fills it from."""

    setting: str  # DeepSpeed's dotted name, e.g. "train_micro_batch_size_per_gpu"
    value: Any
    ref: KeyRef
    plan_path: PlanPath  # e.g. ("training", "micro_batch_size"); ("precision",) for flags


@dataclass(frozen=True, slots=True)
class WrittenKey:
    """A key path as the file writes it (list items by index: `datasets.0.path`)."""

    keys: tuple[str, ...]
    value: Any  # the plain value (YAML 1.2 reading), mappings and lists included
    plain_key: bool = True  # written unquoted: a rename may respell it in place
    # The path the framework reads it under, where it rewrites old spellings itself
    # (axolotl drops the deprecated `fsdp_` prefix inside `fsdp_config`); None: as written.
    read_as: tuple[str, ...] | None = None
    why: str = ""  # what the framework says about that spelling


@dataclass(frozen=True, slots=True)
class OptionScope:
    """Which framework option table (tunelint.knowledge.options) judges the file's keys."""

    framework: str  # the table: "axolotl", "trl", "deepspeed"...
    section: str | None = None  # the object the launcher parses the file into (trl: "dpo")
    also: tuple[str, ...] = ()  # further sections of top-level keys (axolotl plugins)
    related: tuple[str, ...] = ()  # frameworks whose tables the sections extend
    # When an unknown top-level key may be fine, as a clause after "unless" (the file may be
    # parsed by a script's own HfArgumentParser dataclasses): only near-certain typos of a
    # known key are reported, and their rename is offered as unsafe.
    open_keys: str | None = None
    # Top-level keys the launcher takes for itself (`trl <method>` hands the keys its parser
    # does not take to `accelerate launch`): the launcher's table, and keys of its own.
    launcher: str | None = None
    launcher_keys: tuple[str, ...] = ()
    keys: tuple[WrittenKey, ...] = ()


@dataclass(frozen=True, slots=True)
class Yaml11String:
    ref: KeyRef
    raw: str  # as written, e.g. "2e-5"
    value: float  # what it means
    safe_text: str  # the same number in a form both YAML versions read as a float


@dataclass(frozen=True, slots=True)
class DialectFacts(Mapping[str, Any]):
    """What a dialect knows that the Plan has no field for. Rules read the attributes; it
    also reads as a mapping of field name -> value for callers that take facts by name."""

    # The trainer library the method runs on when it matters ("trl", "llamafactory"...).
    trainer: str | None = None
    # The file configures only part of a run (a DeepSpeed JSON, an accelerate YAML); its
    # Plan has a placeholder model and default method, so model- and method-level rules skip it.
    fragment: bool = False
    # Canonical paths the file (or a file read with it) sets explicitly, as opposed to the
    # Plan defaults and the dialect's own defaults.
    written: frozenset[PlanPath] = frozenset()
    # fp16 and bf16 both switched on in one file.
    both_precisions: tuple[PrecisionPair, ...] = ()
    # Values a DeepSpeed config fixes itself instead of "auto", where the trainer (HF
    # Trainer: axolotl, LLaMA-Factory, TRL) also sets them.
    deepspeed_values: tuple[DeepSpeedValue, ...] = ()
    # Where `bnb_4bit_quant_storage` can be written, set only where the user must set it for
    # QLoRA under FSDP / ZeRO-3 (TRL); dialects whose trainer sets it itself leave it None.
    quant_storage_key: KeyRef | None = None
    quant_storage: str | None = None  # its value as written
    # DeepSpeed and FSDP both configured (deepspeed ref, fsdp ref).
    deepspeed_and_fsdp: tuple[KeyRef, KeyRef] | None = None
    # Numbers a YAML 1.1 loader reads as strings, where the dialect's loader is such a
    # loader and does not convert them back.
    yaml11_strings: tuple[Yaml11String, ...] = ()
    # "fp16" | "bf16" | "fp32": the dtype the base weights are loaded in, where the dialect
    # makes it follow the training precision or states it (axolotl: fp16 -> fp16 weights).
    weights_dtype: str | None = None
    # TRL GRPO/RLOO `steps_per_generation` / `generation_batch_size` as written.
    steps_per_generation: int | None = None
    generation_batch_size: int | None = None
    # The option table, section and written keys the key rules (TL510, TL920, TL921) read.
    options: OptionScope | None = None

    @classmethod
    def of(cls, found: dict[str, Any]) -> DialectFacts:
        """Facts gathered by name while reading (lists become tuples); a wrong name raises."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in found.items()})

    def __getitem__(self, name: str) -> Any:
        if name not in _FIELD_NAMES:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self) -> Iterator[str]:
        return iter(_FIELD_NAMES)

    def __len__(self) -> int:
        return len(_FIELD_NAMES)


_FIELD_NAMES = tuple(f.name for f in fields(DialectFacts))
