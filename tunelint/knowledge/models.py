"""The model catalog (data/models.toml) and resolution of the model names people write.

A `ModelSpec` holds the architecture dimensions the memory estimator needs; parameter counts
are computed from them (embedding, attention with GQA and optional qkv bias, gated or plain
MLP, norms, MoE experts and router, tied embeddings), never copied from a model card.

Names resolve from the catalog (hub ids, short names, mirrors and -Instruct/-chat variants,
case-insensitive), else from a local model folder's `config.json`, else from the offline
Hugging Face cache. Nothing here imports the ML stack; `LinearModule`/`ModelSpec` live in model_spec.py and
the config.json reader in model_config.py (re-exported here).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from tunelint.knowledge import data_files, model_hub
from tunelint.knowledge.model_config import spec_from_hf_config
from tunelint.knowledge.model_spec import Head, Layout, LinearModule, ModelSpec, ModuleKind

__all__ = [
    "Head",
    "Layout",
    "LinearModule",
    "ModelLookup",
    "ModelSpec",
    "ModuleKind",
    "catalog",
    "lookup_model",
    "model_names",
    "resolve_model",
    "spec_from_hf_config",
]

_CATALOG = Path(__file__).parent / "data" / "models.toml"
MAX_NAME_LENGTH = 1024  # longer "names" are not hub ids or paths: no filesystem probing

# Suffixes that name a variant with the same architecture as its base (chat tuning, a mirror's
# pre-quantized upload, a format). Stripped one at a time, longest first, when no entry matches.
_VARIANT_SUFFIXES = (
    "-instruct",
    "-chat",
    "-it",
    "-base",
    "-hf",
    "-bnb-4bit",
    "-unsloth-bnb-4bit",
    "-4bit",
    "-8bit",
    "-int4",
    "-int8",
    "-gptq",
    "-awq",
    "-fp8",
    "-gguf",
)

# PEFT's default target modules (peft.utils.constants, PEFT 0.21.2) by model_type: LoRA when
# `target_modules` is not given, and IA3's targets with its feed-forward subset.
_LORA_DEFAULTS: dict[str, tuple[str, ...]] = {
    "llama": ("q_proj", "v_proj"),
    "mistral": ("q_proj", "v_proj"),
    "mixtral": ("q_proj", "v_proj"),
    "qwen2": ("q_proj", "v_proj"),
    "qwen3": ("q_proj", "v_proj"),
    "gemma": ("q_proj", "v_proj"),
    "gemma2": ("q_proj", "v_proj"),
    "gemma3_text": ("q_proj", "v_proj"),
    "phi": ("q_proj", "v_proj", "fc1", "fc2"),
    "bert": ("query", "value"),
    "t5": ("q", "v"),
    "mt5": ("q", "v"),
    "bloom": ("query_key_value",),
}
_IA3_DEFAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "llama": (("k_proj", "v_proj", "down_proj"), ("down_proj",)),
    "mistral": (("k_proj", "v_proj", "down_proj"), ("down_proj",)),
    "mixtral": (("k_proj", "v_proj", "w2"), ("w2",)),
    "qwen2": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "qwen3": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "gemma": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "gemma2": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "gemma3_text": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "phi": (("q_proj", "v_proj", "fc2"), ("fc2",)),
    "bert": (("key", "value", "output.dense"), ("output.dense",)),
    "t5": (("k", "v", "wo"), ("wo",)),
    "mt5": (("k", "v", "wo"), ("wo",)),
    "bloom": (("query_key_value", "mlp.dense_4h_to_h"), ("mlp.dense_4h_to_h",)),
}


@dataclass(frozen=True, slots=True)
class ModelLookup:
    """The outcome of resolving a name: a spec, or why there is none."""

    spec: ModelSpec | None
    reason: str | None = None
    via: str = "catalog"  # catalog | config.json | hf-cache | hub
    pending: bool = False  # a background Hub fetch is running; ask again when it ends


def lora_default_targets(spec: ModelSpec) -> tuple[str, ...] | None:
    """PEFT's LoRA targets when none are given; None where PEFT has no default. PEFT looks
    up the loaded model's own type: a multimodal wrapper's ("gemma3"), not its text model's."""
    return _LORA_DEFAULTS.get(spec.wrapper_model_type or spec.model_type)


def ia3_default_targets(spec: ModelSpec) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """PEFT's IA3 (targets, feed-forward targets) for the model type; None if PEFT has none."""
    return _IA3_DEFAULTS.get(spec.wrapper_model_type or spec.model_type)


# --- catalog ----------------------------------------------------------------------------
def _key(name: str) -> str:
    """Comparison key: lower case, letters, digits and dots only ("Llama 3.1 8B" == "llama3.1-8b")."""
    return re.sub(r"[^a-z0-9.]", "", name.lower())


# Catalog-only keys: the config.json facts an entry is read from, and the model card's figures.
_ROW_KEYS = {"config", "published_params", "published_active_params"}


def _spec_from_row(row: dict[str, Any]) -> ModelSpec:
    """An entry states either ModelSpec's fields or a `config` table with the model's own
    config.json facts, read as a downloaded config.json would be."""
    known = {f for f in ModelSpec.__dataclass_fields__}  # type: ignore[attr-defined]
    unknown = set(row) - known - _ROW_KEYS
    if unknown:
        raise ValueError(f"models.toml: unknown fields {sorted(unknown)} in {row.get('name')}")
    values = {k: v for k, v in row.items() if k not in _ROW_KEYS}
    values["aliases"] = tuple(values.get("aliases", ()))
    values["notes"] = tuple(values.get("notes", ()))
    if "config" not in row:
        return ModelSpec(**values)
    spec = spec_from_hf_config(row["config"], values["name"], "catalog")
    if isinstance(spec, str):
        raise ValueError(f"models.toml: {spec}")
    return replace(spec, **{**values, "notes": spec.notes + values["notes"]})


def published_params(spec: ModelSpec) -> tuple[str | None, str | None]:
    """The model card's total and active parameter figures ("8.2B"), where the catalog has them."""
    row = _rows().get(spec.name, {})
    return row.get("published_params"), row.get("published_active_params")


def catalog_config(spec: ModelSpec) -> dict[str, Any] | None:
    """The config.json facts a catalog entry was read from (None: stated as spec fields)."""
    return _rows().get(spec.name, {}).get("config")


@cache
def _rows() -> dict[str, dict[str, Any]]:
    data = data_files.load(_CATALOG.name)
    return {row["name"]: row for row in data["model"]}


@cache
def catalog() -> tuple[ModelSpec, ...]:
    """Every catalog entry, in file order (loaded once)."""
    data = data_files.load(_CATALOG.name)
    return tuple(_spec_from_row(row) for row in data["model"])


@cache
def _index() -> dict[str, ModelSpec]:
    index: dict[str, ModelSpec] = {}
    for spec in catalog():
        names = [spec.name, *spec.aliases]
        if spec.hf_repo:
            names += [spec.hf_repo, spec.hf_repo.split("/", 1)[1]]
        for name in names:
            index.setdefault(_key(name), spec)
    return index


def model_names() -> list[str]:
    """Hub ids (or names) of the catalog entries, for completion."""
    return [spec.hf_repo or spec.name for spec in catalog()]


_TORCHTUNE_BUILDER = re.compile(r"torchtune\.models\.\w+\.(?:q?lora_)?(\w+)")


def _torchtune_builder(text: str) -> str:
    """torchtune names a model by its builder: `torchtune.models.qwen2_5.qwen2_5_3b` is
    Qwen2.5-3B, `...llama3_1.lora_llama3_1_8b` Llama 3.1 8B (digits joined by `_` are a
    version or a size: `2_5` -> `2.5`)."""
    match = _TORCHTUNE_BUILDER.fullmatch(text)
    if match is None:
        return text
    return re.sub(r"(\d)_(\d)", r"\1.\2", match.group(1)).replace("_", "-")


def _catalog_lookup(name: str) -> ModelSpec | None:
    index = _index()
    text = _torchtune_builder(name.strip().lower().rstrip("/"))
    candidates = [text]
    if "/" in text:
        candidates.append(text.rsplit("/", 1)[1])  # mirrors: unsloth/Llama-3.2-3B-Instruct
    for candidate in candidates:
        stripped = candidate
        while True:
            spec = index.get(_key(stripped))
            if spec is not None:
                return spec
            suffix = next((s for s in _VARIANT_SUFFIXES if stripped.endswith(s)), None)
            if suffix is None:
                break
            stripped = stripped[: -len(suffix)]
    return None


def catalog_model(name: str) -> ModelSpec | None:
    """The catalog's entry for a hub id, alias or torchtune builder (no file or network)."""
    return _catalog_lookup(name) if name else None


# --- config.json ------------------------------------------------------------------------
def _read_config(path: Path, name: str, via: str) -> ModelLookup:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ModelLookup(None, f"cannot read {path}: {exc}", via)
    if not isinstance(config, dict):
        return ModelLookup(None, f"{path} is not a JSON object", via)
    return _from_config(config, name, str(path), via)


def _from_config(config: dict[str, Any], name: str, source: str, via: str) -> ModelLookup:
    result = spec_from_hf_config(config, name, source)
    if isinstance(result, str):
        return ModelLookup(None, result, via)
    return ModelLookup(result, None, via)


def hf_cache_dirs() -> list[Path]:
    """Where the offline Hugging Face hub cache may be (HF_HUB_CACHE, HF_HOME, ~/.cache)."""
    dirs: list[Path] = []
    if os.environ.get("HF_HUB_CACHE"):
        dirs.append(Path(os.environ["HF_HUB_CACHE"]))
    if os.environ.get("HF_HOME"):
        dirs.append(Path(os.environ["HF_HOME"]) / "hub")
    dirs.append(Path.home() / ".cache" / "huggingface" / "hub")
    return dirs


def _cached_config(repo_id: str) -> Path | None:
    try:
        return _find_cached_config(repo_id)
    except (OSError, ValueError):  # an unreadable cache is the same as no cache
        return None


def _find_cached_config(repo_id: str) -> Path | None:
    folder = "models--" + repo_id.replace("/", "--")
    for root in hf_cache_dirs():
        base = root / folder
        if not base.is_dir():
            # Hub ids are case-insensitive: "qwen/qwen2.5-7b" names Qwen/Qwen2.5-7B's folder
            if not root.is_dir():
                continue
            same = [p for p in root.iterdir() if p.name.lower() == folder.lower()]
            if not same:
                continue
            base = same[0]
        ref = base / "refs" / "main"
        if ref.is_file():
            commit = ref.read_text(encoding="utf-8").strip()
            candidate = base / "snapshots" / commit / "config.json"
            if candidate.is_file():
                return candidate
        snapshots = sorted(
            (base / "snapshots").glob("*/config.json"),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        if snapshots:
            return snapshots[0]
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # too long, not a valid path on this system
        return False


def lookup_model(
    name: str,
    search_paths: tuple[Path | str, ...] = (),
    *,
    offline: bool | None = None,
    blocking: bool | None = None,
) -> ModelLookup:
    """Resolve a model name: catalog, a local folder's config.json, the HF cache, the Hub.

    `search_paths` are folders a relative model path may be relative to (the config file's
    folder first). The reason string explains a miss in words a finding can show.

    `offline=True` keeps off the network (default: TUNELINT_OFFLINE / HF_HUB_OFFLINE, or
    `model_hub.set_network_mode("off")`); answers cached from earlier fetches still count.
    `blocking=False` never waits for the Hub: a repo not yet known starts a background
    fetch and gets a miss with `pending=True` (default: blocking unless the network mode is
    "background"). See model_hub for the language server's API.
    """
    if not name or not name.strip():
        return ModelLookup(None, "no model name")
    spec = _catalog_lookup(name)
    if spec is not None:
        return ModelLookup(spec)
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        return ModelLookup(None, "the model name is not a hub id or a path")
    text = name.strip()
    raw = Path(os.path.expanduser(text))
    folders = [raw] if raw.is_absolute() else [Path(p) / raw for p in search_paths] + [raw]
    for folder in folders:
        config = folder / "config.json"
        if _is_file(config):
            return _read_config(config, text, "config.json")
    looks_local = text.startswith((".", "/", "~")) or raw.is_absolute()
    if not looks_local and model_hub.is_hub_id(text):
        cached = _cached_config(text)
        if cached is not None:
            return _read_config(cached, text, "hf-cache")
        return _hub_lookup(text, offline, blocking)
    return ModelLookup(None, f"{text} is not in the model catalog and no folder with a config.json")


def _hub_lookup(repo_id: str, offline: bool | None, blocking: bool | None) -> ModelLookup:
    mode = model_hub.network_mode()
    if offline is None:
        offline = mode == "off" or model_hub.offline_by_environment()
    if blocking is None:
        blocking = mode != "background"
    answer = model_hub.cached_answer(repo_id)
    if answer is not None and answer.status == "error" and offline:
        answer = None  # a failed fetch is no answer: offline says offline (hub_config)
    if answer is None:
        if offline:
            answer = model_hub.hub_config(repo_id, offline=True)
        elif not blocking:
            model_hub.fetch_in_background(repo_id, lambda _repo, _answer: None)
            reason = f"fetching the config.json of {repo_id} from the Hugging Face Hub"
            return ModelLookup(None, reason, "hub", pending=True)
        else:
            answer = model_hub.fetch_config(repo_id)
    if answer.status == "found" and answer.config is not None:
        source = f"{model_hub.cache_dir()} (Hub answer for {repo_id})"
        return _from_config(answer.config, repo_id, source, "hub")
    return ModelLookup(None, answer.reason, "hub")


def resolve_model(name: str, search_paths: tuple[Path | str, ...] = ()) -> ModelSpec | None:
    """The ModelSpec for a name (see `lookup_model` for the reason when there is none)."""
    return lookup_model(name, search_paths).spec


def with_overrides(spec: ModelSpec, **changes: Any) -> ModelSpec:
    """A copy with some fields changed (what-ifs and tests)."""
    return replace(spec, **changes)
