"""Facts a dialect knows that the Plan has no field for: the contract between the dialect
readers and the ecosystem rules (tunelint.checks.rules.ecosystem).

A dialect puts them in `MappedConfig.facts` under the names below; rules read them from
`ctx.facts` and never look at text. Where a fact is about a key, it carries a `KeyRef`: a
path into the source map (so a finding lands on that key, in whichever file holds it) and
the key as the user wrote it (for messages).

Source-map paths for keys that are not Plan fields:
- `("keys", *key_path)`: a key of the linted file, as the dialect spells it. Fixes may edit
  these paths (SetValue/RemoveKey); the dialect renders them as edits of that key.
- `("related", role, *key_path)`: a key of a file read together with the linted one (role
  `deepspeed` or `accelerate`); such findings are shown in that file, without a fix.
- either, ending in `"@key"`: the key itself rather than its value (a removed key is
  underlined, not its value). Not editable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tunelint.checks.finding import PlanPath
from tunelint.config.positions import TextEdit

KEYS = "keys"
RELATED = "related"
KEY_ITSELF = "@key"

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

    path: PlanPath
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
    """A key the trainer no longer accepts, with the text edits that update it (the dialect
    computes them: it alone knows the spelling, e.g. a rename in place vs. a removal)."""

    ref: KeyRef
    key: str
    replacement: str | None  # the key to use instead; None: drop it
    where: str  # which release stopped accepting it, e.g. "TRL 0.20"
    note: str = ""
    edits: tuple[TextEdit, ...] = ()


@dataclass(frozen=True, slots=True)
class Yaml11String:
    ref: KeyRef
    raw: str  # as written, e.g. "2e-5"
    value: float  # what it means
    safe_text: str  # the same number in a form both YAML versions read as a float
    edits: tuple[TextEdit, ...] = ()
