"""The model catalog (data/models.toml) and resolution of the model names people write.

A `ModelSpec` holds the architecture dimensions the memory estimator needs; parameter counts
are computed from them (embedding, attention with GQA and optional qkv bias, gated or plain
MLP, norms, MoE experts and router, tied embeddings), never copied from a model card.

Names resolve from the catalog (hub ids, short names, mirrors and -Instruct/-chat variants,
case-insensitive), then its derived entries (fine-tunes and re-uploads of a catalog model,
models_derived.py), else from a local model folder's `config.json`, else from the offline
Hugging Face cache, else from the Hub. A folder, cache snapshot or Hub repo that holds a PEFT
adapter (`adapter_config.json`, no `config.json`) resolves to its `base_model_name_or_path`.

A name written as a path (`/tmp/Meta-Llama-Guard-3-8B/`, `./models/x`) is a local folder:
read when it exists; when it does not exist here but its last component names a catalog model,
it resolves to that model as an assumption (`ModelLookup.assumed`), which every finding and
estimate resting on it states. Nothing here imports the ML stack; `LinearModule`/`ModelSpec`
live in model_spec.py and the config.json reader in model_config.py (re-exported here).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tunelint.config import file_state
from tunelint.knowledge import data_files
from tunelint.knowledge.model_config import spec_from_hf_config
from tunelint.knowledge.model_spec import Head, Layout, LinearModule, ModelSpec, ModuleKind

if TYPE_CHECKING:
    from tunelint.knowledge import models_derived

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
    via: str = "catalog"  # catalog | derived | config.json | hf-cache | hub
    pending: bool = False  # a background Hub fetch is running; ask again when it ends
    # The name is a path that is not on this machine, read as the catalog model its last
    # component names: "/tmp/Meta-Llama-Guard-3-8B/ is meta-llama/Llama-Guard-3-8B". A finding
    # resting on the spec names this assumption and is never an error.
    assumed: str | None = None
    adapter_base: str | None = None  # a PEFT adapter repo/folder: the base model it loads
    waiting_for: str | None = None  # pending: the repo whose Hub answer is awaited
    notes: tuple[str, ...] = ()  # what the resolution did that an estimate should say

    @property
    def assumption(self) -> str | None:
        """ "assuming <path> is <repo>", or None when nothing was assumed."""
        return f"assuming {self.assumed}" if self.assumed else None


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
def _index() -> dict[str, str]:
    """Every name an entry answers to -> the entry's name. Specs are built for the entries
    looked up only (building all ~100 reads every config.json entry: ~10 ms at start-up)."""
    index: dict[str, str] = {}
    for row in _rows().values():
        names = [row["name"], *row.get("aliases", ())]
        repo = row.get("hf_repo")
        if repo:
            names += [repo, repo.split("/", 1)[1]]
        for name in names:
            index.setdefault(_key(name), row["name"])
    return index


@cache
def _entry(name: str) -> ModelSpec:
    return _spec_from_row(_rows()[name])


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


def _variants(text: str) -> list[str]:
    """The name, then with variant suffixes stripped one at a time ("-instruct", "-bnb-4bit")."""
    names = [text]
    while suffix := next((s for s in _VARIANT_SUFFIXES if names[-1].endswith(s)), None):
        names.append(names[-1][: -len(suffix)])
    return names


def _catalog_match(text: str) -> ModelSpec | None:
    index = _index()
    found = next((n for v in _variants(text) if (n := index.get(_key(v))) is not None), None)
    return _entry(found) if found is not None else None


def _base_catalog_lookup(name: str) -> ModelSpec | None:
    """models.toml only: the full name, then (mirrors: unsloth/Llama-3.2-3B-Instruct) its last
    path component, each with variant suffixes stripped."""
    text = _torchtune_builder(name.strip().lower().rstrip("/"))
    spec = _catalog_match(text)
    if spec is None and "/" in text:
        spec = _catalog_match(text.rsplit("/", 1)[1])
    return spec


@cache
def _hub() -> Any:
    """The Hub client, imported when a name misses the catalog (most lints never need it)."""
    from tunelint.knowledge import model_hub

    return model_hub


def _derived_module() -> Any:
    """The derived-model table's reader, imported on a catalog miss."""
    from tunelint.knowledge import models_derived

    return models_derived


def _derived(repo: str) -> models_derived.Derived | str:
    row = _derived_module().find_row(repo, by_last_component=False)
    assert row is not None
    return _derived_module().derive(row, _base_catalog_lookup, catalog_config)


def _derived_match(text: str, by_last: bool) -> models_derived.Derived | str | None:
    for variant in _variants(text):
        row = _derived_module().find_row(variant, by_last_component=by_last)
        if row is not None:
            return _derived(row["repo"])
    return None


@lru_cache(maxsize=2048)  # catalog files only: the same names recur in every config
def _named(name: str) -> ModelLookup | None:
    """The catalog's answer for a name, in this order: models.toml by the full name, a derived
    entry by the full name, then each by the last path component (mirrors, re-uploads:
    `someone/zephyr-7b-beta-AWQ`). A derived entry whose base is missing is a miss with that
    reason; None when neither file knows the name."""
    text = _torchtune_builder(name.strip().lower().rstrip("/"))
    last = text.rsplit("/", 1)[1] if "/" in text else None
    spec = _catalog_match(text)
    derived = None if spec is not None else _derived_match(text, by_last=False)
    if spec is None and derived is None:
        spec = _catalog_match(last) if last is not None else None
        derived = None if spec is not None else _derived_match(text, by_last=True)
    if spec is not None:
        return ModelLookup(spec)
    if isinstance(derived, _derived_module().Derived):
        return _from_derived(derived)
    if isinstance(derived, str):
        return ModelLookup(None, derived, "derived")
    return None


def _from_derived(found: models_derived.Derived) -> ModelLookup:
    if not found.adapter:
        return ModelLookup(found.spec, None, "derived")
    note = (
        f"{found.repo} is a PEFT adapter on {found.base}: the estimate is the base model's "
        "(the adapter's own weights are not counted)"
    )
    return ModelLookup(found.spec, None, "derived", adapter_base=found.base, notes=(note,))


def catalog_model(name: str) -> ModelSpec | None:
    """The catalog's entry (or derived entry) for a hub id, alias or torchtune builder (no
    file or network)."""
    found = _named(name) if name else None
    return found.spec if found is not None else None


def derived_specs() -> list[ModelSpec]:
    """Every derived entry whose base is in the catalog (tests, listings)."""
    found = (_derived(row["repo"]) for row in _derived_module().rows())
    return [d.spec for d in found if isinstance(d, _derived_module().Derived)]


# --- config.json ------------------------------------------------------------------------
ADAPTER_CONFIG = "adapter_config.json"
MAX_ADAPTER_DEPTH = 3  # an adapter whose base is an adapter (...) is followed this far


@dataclass(frozen=True, slots=True)
class _Where:
    """How a lookup may continue: for the base of an adapter it meets."""

    search_paths: tuple[Path | str, ...]
    offline: bool | None
    blocking: bool | None
    depth: int = 0


def _read_json(path: Path, via: str) -> dict[str, Any] | ModelLookup:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ModelLookup(None, f"cannot read {path}: {exc}", via)
    if not isinstance(config, dict):
        return ModelLookup(None, f"{path} is not a JSON object", via)
    return config


def _read_config(path: Path, name: str, via: str, where: _Where | None = None) -> ModelLookup:
    """A config.json, or an adapter_config.json (resolved to its base model)."""
    config = _read_json(path, via)
    if isinstance(config, ModelLookup):
        return config
    if path.name == ADAPTER_CONFIG:
        where = where or _Where((), None, None)
        inside = replace(where, search_paths=(path.parent, *where.search_paths))
        return _adapter(config, name, str(path), via, inside)
    return _from_config(config, name, str(path), via)


def _from_config(config: dict[str, Any], name: str, source: str, via: str) -> ModelLookup:
    result = spec_from_hf_config(config, name, source)
    if isinstance(result, str):
        return ModelLookup(None, result, via)
    return ModelLookup(result, None, via)


def _adapter(
    adapter_config: dict[str, Any], name: str, source: str, via: str, where: _Where
) -> ModelLookup:
    """A PEFT adapter (adapter_config.json without a config.json): transformers and PEFT load
    `base_model_name_or_path` and put the adapter on it, so the model is that base."""
    base = adapter_config.get("base_model_name_or_path")
    if not isinstance(base, str) or not base.strip():
        reason = f"{name} is a PEFT adapter ({source}) that names no base_model_name_or_path"
        return ModelLookup(None, reason, via)
    if where.depth >= MAX_ADAPTER_DEPTH:
        return ModelLookup(
            None, f"{name}: adapters on adapters deeper than {MAX_ADAPTER_DEPTH}", via
        )
    inner = _lookup(base.strip(), replace(where, depth=where.depth + 1))
    said = f"{name} is a PEFT adapter on {base} ({source})"
    if inner.spec is None:
        return replace(inner, reason=f"{said}; its base: {inner.reason}", via=via)
    note = f"{said}: the estimate is the base model's (the adapter's own weights are not counted)"
    return replace(inner, via=via, adapter_base=base, notes=(*inner.notes, note))


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
    """The snapshot's config.json (else its adapter_config.json) of the main ref, else of the
    newest snapshot."""
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
            for file in ("config.json", ADAPTER_CONFIG):
                candidate = base / "snapshots" / commit / file
                if candidate.is_file():
                    return candidate
        for file in ("config.json", ADAPTER_CONFIG):
            snapshots = sorted(
                (base / "snapshots").glob(f"*/{file}"),
                key=lambda p: p.stat().st_mtime,
                reverse=True,
            )
            if snapshots:
                return snapshots[0]
    return None


def _is_file(path: Path) -> bool:
    try:
        return file_state.is_file(path)
    except (OSError, ValueError):  # too long, not a valid path on this system
        return False


def _is_dir(path: Path) -> bool:
    try:
        return file_state.is_dir(path)
    except (OSError, ValueError):
        return False


def lookup_model(
    name: str,
    search_paths: tuple[Path | str, ...] = (),
    *,
    offline: bool | None = None,
    blocking: bool | None = None,
) -> ModelLookup:
    """Resolve a model name: catalog (and its derived entries), a local folder's config.json,
    the HF cache, the Hub; an adapter (adapter_config.json) resolves to its base.

    `search_paths` are folders a relative model path may be relative to (the config file's
    folder first). The reason string explains a miss in words a finding can show. A name
    written as a path that is not on this machine resolves to the catalog model its last
    component names, as an assumption (`ModelLookup.assumed`).

    `offline=True` keeps off the network (default: TUNELINT_OFFLINE / HF_HUB_OFFLINE, or
    `model_hub.set_network_mode("off")`); answers cached from earlier fetches still count.
    `blocking=False` never waits for the Hub: a repo not yet known starts a background
    fetch and gets a miss with `pending=True` (default: blocking unless the network mode is
    "background"). See model_hub for the language server's API.
    """
    return _lookup(name, _Where(tuple(search_paths), offline, blocking))


def _lookup(name: str, where: _Where) -> ModelLookup:
    if not name or not name.strip():
        return ModelLookup(None, "no model name")
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        return ModelLookup(None, "the model name is not a hub id or a path")
    text = name.strip()
    raw = Path(os.path.expanduser(text))
    # Written as a path: a local folder first, as transformers' from_pretrained reads it.
    looks_local = text.startswith((".", "/", "~")) or raw.is_absolute()
    named = None if looks_local else _named(text)
    if named is not None and named.spec is not None:
        return named
    folders = [raw] if raw.is_absolute() else [Path(p) / raw for p in where.search_paths] + [raw]
    for folder in folders:
        for file in ("config.json", ADAPTER_CONFIG):
            if _is_file(folder / file):
                return _read_config(folder / file, text, "config.json", where)
    if looks_local:
        return _local_copy(text, folders)
    if _hub().is_hub_id(text):
        cached = _cached_config(text)
        if cached is not None:
            return _read_config(cached, text, "hf-cache", where)
        found = _hub_lookup(text, where)
        if found.spec is None and named is not None and not found.pending:
            return replace(found, reason=f"{named.reason}; {found.reason}")
        return found
    if named is not None:
        return named
    return ModelLookup(None, f"{text} is not in the model catalog and no folder with a config.json")


def _local_copy(text: str, folders: list[Path]) -> ModelLookup:
    """A path with no config.json: a folder here without one says so; a path not on this
    machine whose last component names a catalog model (`/tmp/Meta-Llama-Guard-3-8B/`) is
    read as that model, as an assumption the findings state."""
    present = next((f for f in folders if _is_dir(f)), None)
    if present is not None:
        return ModelLookup(None, f"{text} is a folder without a config.json", "config.json")
    last = text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    named = _named(last) if last and last not in (".", "..", "~") else None
    if named is None or named.spec is None:
        return ModelLookup(
            None, f"{text} is not in the model catalog and no folder with a config.json"
        )
    repo = named.spec.hf_repo or named.spec.name
    # Say what the folder's name claims; where the catalog reads it as another entry (an alias
    # with the same dimensions: Llama-3.3-70B-Instruct as Llama-3.1-70B), say that too.
    same = _key(repo.rsplit("/", 1)[-1]) in {_key(v) for v in _variants(last.lower())}
    assumed = f"{text} is {repo}" if same else f"{text} is {last} (the catalog's {repo})"
    note = f"model: {text} is not on this machine; assumed from its folder name: {assumed}"
    return replace(named, assumed=assumed, notes=(note, *named.notes))


def _hub_lookup(repo_id: str, where: _Where) -> ModelLookup:
    offline, blocking = where.offline, where.blocking
    mode = _hub().network_mode()
    if offline is None:
        offline = mode == "off" or _hub().offline_by_environment()
    if blocking is None:
        blocking = mode != "background"
    answer = _hub().cached_answer(repo_id)
    if answer is not None and answer.status == "error" and offline:
        answer = None  # a failed fetch is no answer: offline says offline (hub_config)
    if answer is None:
        if offline:
            answer = _hub().hub_config(repo_id, offline=True)
        elif not blocking:
            _hub().fetch_in_background(repo_id, lambda _repo, _answer: None)
            reason = f"fetching the config.json of {repo_id} from the Hugging Face Hub"
            return ModelLookup(None, reason, "hub", pending=True, waiting_for=repo_id)
        else:
            answer = _hub().fetch_config(repo_id)
    if answer.status == "adapter" and answer.config is not None:
        source = f"its adapter_config.json on the Hub, kept in {_hub().cache_dir()}"
        return _adapter(answer.config, repo_id, source, "hub", where)
    if answer.status == "found" and answer.config is not None:
        source = f"{_hub().cache_dir()} (Hub answer for {repo_id})"
        return _from_config(answer.config, repo_id, source, "hub")
    return ModelLookup(None, answer.reason, "hub")


def resolve_model(name: str, search_paths: tuple[Path | str, ...] = ()) -> ModelSpec | None:
    """The ModelSpec for a name (see `lookup_model` for the reason when there is none)."""
    return lookup_model(name, search_paths).spec


def with_overrides(spec: ModelSpec, **changes: Any) -> ModelSpec:
    """A copy with some fields changed (what-ifs and tests)."""
    return replace(spec, **changes)
