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

from dataclasses import dataclass
from typing import Any

from tunelint.config.plan_edits import DialectKey, PlanPath

# bool: the file configures only part of a run (a DeepSpeed JSON, an accelerate YAML); its
# Plan has a placeholder model and default method, so model- and method-level rules skip it.
FRAGMENT = "fragment"
# frozenset[PlanPath]: canonical paths the file (or a file read with it) sets explicitly, as
# opposed to the Plan defaults and the dialect's own defaults.
WRITTEN = "written"
# list[PrecisionPair]: fp16 and bf16 both switched on in one file.
BOTH_PRECISIONS = "both_precisions"
# list[DeepSpeedValue]: values a DeepSpeed config fixes itself instead of "auto", where the
# trainer (HF Trainer: axolotl, LLaMA-Factory, TRL) also sets them.
DEEPSPEED_VALUES = "deepspeed_values"
# str | None: `bnb_4bit_quant_storage` as written, present only where the user must set it
# for QLoRA under FSDP / ZeRO-3 (TRL). Dialects whose trainer sets it itself omit the fact.
QUANT_STORAGE = "bnb_4bit_quant_storage"
# KeyRef: where a QUANT_STORAGE key can be written (the key to edit, existing or new).
QUANT_STORAGE_KEY = "bnb_4bit_quant_storage_key"
# tuple[KeyRef, KeyRef]: DeepSpeed and FSDP both configured (deepspeed ref, fsdp ref).
DEEPSPEED_AND_FSDP = "deepspeed_and_fsdp"
# list[RemovedKey]: keys the dialect's current trainer no longer accepts.
REMOVED_KEYS = "removed_keys"
# list[Yaml11String]: numbers a YAML 1.1 loader reads as strings, where the dialect's loader
# is such a loader and does not convert them back.
YAML11_STRINGS = "yaml11_strings"
# "fp16" | "bf16" | "fp32" | None: the dtype the base weights are loaded in, where the dialect
# makes it follow the training precision or states it (axolotl: fp16 -> fp16 weights).
WEIGHTS_DTYPE = "weights_dtype"
# int | None: TRL GRPO/RLOO `steps_per_generation` / `generation_batch_size` as written.
STEPS_PER_GENERATION = "steps_per_generation"
GENERATION_BATCH_SIZE = "generation_batch_size"
# str: the trainer library the method runs on when it matters ("trl", "llamafactory"...).
TRAINER = "trainer"
# str: the dialect's own name for the method when it differs from the Plan's (e.g. `ipo`).
METHOD_AS_WRITTEN = "method_as_written"


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
class RemovedKey:
    """A key the trainer no longer accepts. The dialect says whether it can be renamed in
    place (it alone knows the spelling: a plain key whose successor is not written yet)."""

    ref: KeyRef
    key: str
    replacement: str | None  # the key to use instead; None: drop it
    where: str  # which release stopped accepting it, e.g. "TRL 0.20"
    note: str = ""
    rename: bool = False  # rename in place; else (or without a replacement) remove the key


@dataclass(frozen=True, slots=True)
class Yaml11String:
    ref: KeyRef
    raw: str  # as written, e.g. "2e-5"
    value: float  # what it means
    safe_text: str  # the same number in a form both YAML versions read as a float
