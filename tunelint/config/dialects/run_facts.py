"""Facts several dialects read the same way, each from its own spelling: FSDP wrap classes,
FP8 switches, training splits and held-out shares (tunelint.config.dialects.facts)."""

from __future__ import annotations

from typing import Any

from tunelint.config.dialects import facts as F
from tunelint.config.dialects.facts import DatasetSplit, EvalFraction, WrapClasses
from tunelint.config.dialects.reader import KeyReader, as_bool, as_float, string_list
from tunelint.config.document import Mapping, Sequence


def read_wrap_classes(
    reader: KeyReader, found: dict[str, Any], *spellings: tuple[str, ...]
) -> None:
    """The first spelling written (e.g. ("fsdp_config", "transformer_layer_cls_to_wrap"))."""
    for keys in spellings:
        classes = string_list(reader.value(*keys))
        if classes:
            found[F.FSDP_WRAP] = WrapClasses(reader.ref(*keys), tuple(classes))
            return


def read_fp8(reader: KeyReader, found: dict[str, Any], *keys: str, value: Any = True) -> None:
    """FP8 training is on when `keys` holds `value` (True: a true flag)."""
    written = reader.value(*keys)
    on = as_bool(written) is True if value is True else written == value
    if on:
        found[F.FP8] = reader.ref(*keys)


def read_splits(
    reader: KeyReader,
    found: dict[str, Any],
    list_key: str,
    name_key: str,
    split_key: str,
    default_split: str = "train",
) -> None:
    """Each entry of a list (or a single mapping) of datasets with its split."""
    node = reader.node(list_key)
    items = node.items if isinstance(node, Sequence) else [node]
    splits: list[DatasetSplit] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        name_entry, split_entry = item.get(name_key), item.get(split_key)
        name = name_entry.value.plain() if name_entry is not None else None
        split = split_entry.value.plain() if split_entry is not None else default_split
        if not isinstance(name, str) or not isinstance(split, str):
            continue
        keys = (
            (list_key, str(index), split_key)
            if isinstance(node, Sequence)
            else (list_key, split_key)
        )
        at = keys if split_entry is not None else (*keys[:-1], name_key)
        splits.append(DatasetSplit(reader.ref(*at), name, split))
    found.setdefault(F.TRAIN_SPLITS, []).extend(splits)


def read_split(
    reader: KeyReader, found: dict[str, Any], name_key: str, split_key: str, default: str
) -> None:
    """A flat dataset name plus split (TRL's `dataset_name` / `dataset_train_split`)."""
    name = reader.value(name_key)
    split = reader.value(split_key)
    if isinstance(name, str) and name.strip():
        key = split_key if isinstance(split, str) else name_key
        found.setdefault(F.TRAIN_SPLITS, []).append(
            DatasetSplit(reader.ref(key), name, split if isinstance(split, str) else default)
        )


def read_eval_fraction(reader: KeyReader, found: dict[str, Any], key: str) -> None:
    """A held-out share written as a fraction (0 < x < 1); counts of samples are not one."""
    value = as_float(reader.value(key))
    if value is not None and 0 < value < 1:
        found[F.EVAL_FRACTION] = EvalFraction(reader.ref(key), value)


def read_parallelism(reader: KeyReader, found: dict[str, Any], *keys: str) -> None:
    """Model-parallel sizes above 1 (and switches) the memory estimate does not model."""
    written: list[str] = []
    for key in keys:
        value = reader.value(key)
        if isinstance(value, bool):
            if value:
                written.append(f"{key}: true")
        elif isinstance(value, int) and value > 1:
            written.append(f"{key}: {value}")
    if written:
        found[F.UNMODELLED_PARALLELISM] = written
