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
from typing import Any, NamedTuple

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
PADDED_TO_LENGTH = "padded_to_length"
STEPS_PER_GENERATION = "steps_per_generation"
GENERATION_BATCH_SIZE = "generation_batch_size"
METHOD_FROM = "method_from"
LOADER_ASSUMED = "loader_assumed"
MODEL_KEYS_ASSUMED = "model_keys_assumed"
TRAINER = "trainer"
LOADER = "loader"
PURPOSE = "purpose"
PARTIAL = "partial"
FULL_REASONS = "full_reasons"
MISSING_FILES = "missing_files"
FSDP_WRAP = "fsdp_wrap"
FP8 = "fp8"
EXPERTS_QUANTIZED = "experts_quantized"
TRAIN_SPLITS = "train_splits"
EVAL_FRACTION = "eval_fraction"
SHARDING_OUTSIDE = "sharding_outside"
UNMODELLED_PARALLELISM = "unmodelled_parallelism"
UNMAPPED = "unmapped"

# How a framework loads the file, as far as the rules care (DialectFacts.loader).
PYYAML = "pyyaml"  # yaml.safe_load, values passed on as read (YAML 1.1: `2e-5` is a string)
PYYAML_PYDANTIC = "pyyaml-pydantic"  # yaml.safe_load, then a pydantic model coerces values
# yaml.safe_load, then each value is an argparse default that argparse converts with the
# field's type (TRL's TrlParser, the `trl` CLI): '2e-5' arrives as a float.
PYYAML_ARGPARSE = "pyyaml-argparse"
OMEGACONF = "omegaconf"  # OmegaConf.load: its loader reads `2e-5` as a float
JSON = "json"
TUNELINT = "tunelint"  # tunelint's own reader + the Plan model
# What a file is for (DialectFacts.purpose): training rules apply to "train" only.
PURPOSES = ("train", "evaluate", "infer", "merge")
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


class WrittenKey(NamedTuple):
    """A key path as the file writes it (list items by index: `datasets.0.path`).

    A NamedTuple, immutable like the frozen dataclasses here: one is made per key of every
    linted file, and a tuple is built in a third of a frozen dataclass's time."""

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
class MissingFile:
    """A file the config names that tunelint could not find (it may exist where it runs)."""

    ref: KeyRef
    reference: str  # as written
    kind: str  # "DeepSpeed config" | "accelerate config"


@dataclass(frozen=True, slots=True)
class WrapClasses:
    """FSDP's transformer-based auto-wrap classes as written."""

    ref: KeyRef
    classes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DatasetSplit:
    """A training dataset and the split of it that trains (as written)."""

    ref: KeyRef
    name: str
    split: str


@dataclass(frozen=True, slots=True)
class EvalFraction:
    """The share of the training data held out for evaluation (axolotl `val_set_size`...)."""

    ref: KeyRef
    fraction: float


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
    # How the framework loads the file (PYYAML, PYYAML_PYDANTIC, PYYAML_ARGPARSE, OMEGACONF,
    # JSON, TUNELINT).
    loader: str | None = None
    # The loader as assumed where nothing beside the file says which script reads it (TRL
    # configs: a TrlParser script or HfArgumentParser.parse_yaml_file), in words for the
    # "(assuming ...)" of findings that rest on it; None: the loader is known.
    loader_assumed: str | None = None
    # Where the file's model-loading keys (4/8-bit, weight dtype) take effect only through a
    # script tunelint has not seen (TRL's ModelConfig): that assumption, in words.
    model_keys_assumed: str | None = None
    # Relative paths in the file (output.dir, data) are read from the config's own folder
    # (`tunelint run`); other trainers read them from the folder they are launched in.
    paths_from_config_folder: bool = False
    # What the file is for: "train", or an evaluation / inference / merge config of the same
    # framework (no training rule applies to those).
    purpose: str = "train"
    # A part of the model trains although no adapter is used (freeze, BAdam, GaLore...): how,
    # in the framework's words, e.g. "finetuning_type: freeze".
    partial: str | None = None
    # The launch command, not the file, decides whether the run is sharded across GPUs
    # (torchtune: `tune run full_finetune_distributed` vs `..._single_device`).
    sharding_outside: bool = False
    # Parallelism or offload the memory estimate does not model (tensor/pipeline/expert/
    # context parallel sizes, KTransformers CPU experts), as written: e.g.
    # "tensor_parallel_size: 2".
    unmodelled_parallelism: tuple[str, ...] = ()
    # FSDP auto-wrap classes, FP8 training switched on (where), whether the framework's
    # switch to quantize MoE experts is set (axolotl `quantize_moe_experts`).
    fsdp_wrap: WrapClasses | None = None
    fp8: KeyRef | None = None
    experts_quantized: bool = False
    # Training datasets with the split they take; the held-out evaluation share.
    train_splits: tuple[DatasetSplit, ...] = ()
    eval_fraction: EvalFraction | None = None
    # Plan paths written with a value tunelint has no name for (optimizer: muon, rl: ebft).
    unmapped: frozenset[PlanPath] = frozenset()
    # Files the config names that could not be found (their settings are unknown).
    missing_files: tuple[MissingFile, ...] = ()
    # What the config itself says that explains training beyond an adapter (continued
    # pre-training, QAT, a value head...), in the framework's words.
    full_reasons: tuple[str, ...] = ()
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
    # Every batch is padded to the full sequence length (axolotl `pad_to_sequence_len`): the
    # memory estimate's full-length sequences are certain, not an upper bound.
    padded_to_length: bool = False
    # TRL GRPO/RLOO `steps_per_generation` / `generation_batch_size` as written.
    steps_per_generation: int | None = None
    generation_batch_size: int | None = None
    # What decided the method where the file does not name it (TRL: the `trl <method>`
    # command does), e.g. "the file name `dpo_config.yaml`"; None: the file names it.
    method_from: str | None = None
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
