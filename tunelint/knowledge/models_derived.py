"""Derived models (data/models_derived.toml): fine-tunes, re-uploads and adapter repos that have
the config.json dimensions of a catalog entry under another name.

An entry names its `base` (a catalog name or Hub id, or another derived entry) and the
config.json keys that differ (`config`, e.g. a larger vocabulary, another RoPE base, a
`quantization_config`) or that it lacks (`drop`: a dequantized upload). Where the base entry
is stated as its config.json facts, the changed config.json is read again exactly as a
downloaded one would be (model_config.spec_from_hf_config); where the base is stated as spec
fields, the few keys that map onto a field are applied. The file is read the first time a
name misses the catalog; nothing here touches the filesystem or the network.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from tunelint.knowledge import data_files
from tunelint.knowledge.model_config import quantization_bits, spec_from_hf_config
from tunelint.knowledge.model_spec import ModelSpec

_DATA = Path(__file__).parent / "data" / "models_derived.toml"
_FIELDS = {"repo", "base", "adapter", "config", "drop", "aliases", "source"}
# config.json keys an override may change on a base stated as spec fields, and the field each
# sets (rope_theta changes no count or memory figure: it is only noted).
_SPEC_KEYS = {
    "vocab_size": "vocab_size",
    "max_position_embeddings": "max_position_embeddings",
    "tie_word_embeddings": "tie_word_embeddings",
}
_NOTED_KEYS = {"rope_theta", "rope_scaling"}
MAX_CHAIN = 8  # derived-of-derived depth; the data file is checked for cycles in tests

# What resolves a base name: models.toml's lookup (models._base_catalog_lookup), passed in so
# that this module does not import models.py (which imports this one).
BaseResolver = Callable[[str], ModelSpec | None]
ConfigOf = Callable[[ModelSpec], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Derived:
    """A resolved derived entry: the spec and where its facts come from."""

    spec: ModelSpec
    repo: str
    base: str  # the base as the data file names it
    adapter: bool  # a PEFT adapter repo: the model trained is `base` with the adapter loaded
    source: str
    config: dict[str, Any] | None  # the derived config.json facts (None: base has no config)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9.]", "", name.lower())


@cache
def rows() -> tuple[dict[str, Any], ...]:
    """The entries of data/models_derived.toml, checked for unknown fields."""
    data = data_files.load(_DATA.name)
    entries = tuple(data.get("derived", ()))
    for row in entries:
        unknown = set(row) - _FIELDS
        if unknown or not row.get("repo") or not row.get("base") or not row.get("source"):
            raise ValueError(
                f"models_derived.toml: entry {row.get('repo')!r} needs repo, base and source"
                + (f"; unknown fields {sorted(unknown)}" if unknown else "")
            )
    return entries


@cache
def _index() -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(full Hub id or alias -> row, last path component -> row)."""
    full: dict[str, dict[str, Any]] = {}
    short: dict[str, dict[str, Any]] = {}
    for row in rows():
        for name in (row["repo"], *row.get("aliases", ())):
            full.setdefault(_key(name), row)
            short.setdefault(_key(name.rsplit("/", 1)[-1]), row)
    return full, short


def find_row(name: str, *, by_last_component: bool) -> dict[str, Any] | None:
    """The entry for a Hub id or alias (or, when asked, for the last component of a path or
    mirror id: `someone/zephyr-7b-beta`, `/models/zephyr-7b-beta`)."""
    full, short = _index()
    row = full.get(_key(name))
    if row is None and by_last_component:
        row = short.get(_key(name.rstrip("/").rsplit("/", 1)[-1]))
    return row


def derive(
    row: dict[str, Any], resolve_base: BaseResolver, config_of: ConfigOf, depth: int = 0
) -> Derived | str:
    """The spec of a derived entry, or the reason it has none (its base is unknown)."""
    base_name = row["base"]
    base_row = find_row(base_name, by_last_component=False)
    if base_row is not None and base_row is not row and depth < MAX_CHAIN:
        parent = derive(base_row, resolve_base, config_of, depth + 1)
        if isinstance(parent, str):
            return parent
        base_spec, base_config = parent.spec, parent.config
    else:
        found = resolve_base(base_name)
        if found is None:
            return f"{row['repo']} derives from {base_name}, which is not in the model catalog"
        base_spec, base_config = found, config_of(found)
    changes = dict(row.get("config", {}))
    drop = tuple(row.get("drop", ()))
    if base_config is not None:
        config = {k: v for k, v in {**base_config, **changes}.items() if k not in drop}
        spec = _with_config_changes(base_spec, base_config, config, row["repo"])
    else:
        config = None
        spec = _with_spec_changes(base_spec, changes, drop, row["repo"])
    spec = replace(
        spec,
        name=row["repo"],
        hf_repo=row["repo"],
        aliases=tuple(row.get("aliases", ())),
        source="catalog",
        expected_params=None,
        notes=(*spec.notes, _note(row, base_spec, changes, drop)),
    )
    return Derived(spec, row["repo"], base_name, bool(row.get("adapter")), row["source"], config)


def _with_config_changes(
    base: ModelSpec, base_config: dict[str, Any], config: dict[str, Any], repo: str
) -> ModelSpec:
    """The base spec with what reading the changed config.json changes (the catalog entry's
    own field overrides, and its name and notes, stay)."""
    before = spec_from_hf_config(base_config, base.name, "catalog")
    after = spec_from_hf_config(config, base.name, "catalog")
    if isinstance(before, str) or isinstance(after, str):
        raise ValueError(
            f"models_derived.toml: {repo}: {after if isinstance(after, str) else before}"
        )
    changed = {
        f: getattr(after, f)
        for f in ModelSpec.__dataclass_fields__  # type: ignore[attr-defined]
        if f not in ("notes", "source", "hf_repo") and getattr(after, f) != getattr(before, f)
    }
    return replace(base, **changed)


def _with_spec_changes(
    base: ModelSpec, changes: dict[str, Any], drop: tuple[str, ...], repo: str
) -> ModelSpec:
    fields: dict[str, Any] = {}
    for key, value in changes.items():
        if key in _SPEC_KEYS:
            fields[_SPEC_KEYS[key]] = value
        elif key == "quantization_config":
            bits = quantization_bits(value)
            if bits is None:
                raise ValueError(f"models_derived.toml: {repo}: quantization_config not understood")
            fields["quantization"], fields["quant_bits"] = bits
        elif key not in _NOTED_KEYS:
            raise ValueError(f"models_derived.toml: {repo}: cannot apply {key} to {base.name}")
    if "quantization_config" in drop:
        fields["quantization"] = fields["quant_bits"] = None
    return replace(base, **fields)


def _note(
    row: dict[str, Any], base: ModelSpec, changes: dict[str, Any], drop: tuple[str, ...]
) -> str:
    kind = "a PEFT adapter on" if row.get("adapter") else "derived from"
    differs = [f"{k} {v}" for k, v in changes.items() if k != "quantization_config"]
    if "quantization_config" in changes:
        differs.append(f"{changes['quantization_config'].get('quant_method', '?')} quantized")
    differs += [f"no {k}" for k in drop]
    extra = f"; differs: {', '.join(differs)}" if differs else ""
    return f"{kind} {row['base']} ({base.name}){extra} — {row['source']}"
