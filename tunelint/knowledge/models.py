"""The model catalog (data/models.toml) and resolution of the model names people write.

A `ModelSpec` holds the architecture dimensions the memory estimator needs; parameter counts
are computed from them (embedding, attention with GQA and optional qkv bias, gated or plain
MLP, norms, MoE experts and router, tied embeddings), never copied from a model card.

Names resolve from the catalog (hub ids, short names, mirrors and -Instruct/-chat variants,
case-insensitive), else from a local model folder's `config.json`, else from the offline
Hugging Face cache. Nothing here touches the network or imports the ML stack.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

_CATALOG = Path(__file__).parent / "data" / "models.toml"
MAX_NAME_LENGTH = 1024  # longer "names" are not hub ids or paths: no filesystem probing

Layout = Literal["llama", "phi3", "qwen", "bert"]
Head = Literal["causal-lm", "sequence-classification"]
ModuleKind = Literal["attention", "mlp", "expert", "router", "head"]

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

# PEFT's default target modules (peft.utils.constants, PEFT 0.21) by model_type: LoRA when
# `target_modules` is not given, and IA3's targets with its feed-forward subset.
_LORA_DEFAULTS: dict[str, tuple[str, ...]] = {
    "llama": ("q_proj", "v_proj"),
    "mistral": ("q_proj", "v_proj"),
    "mixtral": ("q_proj", "v_proj"),
    "qwen2": ("q_proj", "v_proj"),
    "qwen3": ("q_proj", "v_proj"),
    "gemma": ("q_proj", "v_proj"),
    "gemma2": ("q_proj", "v_proj"),
    "bert": ("query", "value"),
}
_IA3_DEFAULTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "llama": (("k_proj", "v_proj", "down_proj"), ("down_proj",)),
    "mistral": (("k_proj", "v_proj", "down_proj"), ("down_proj",)),
    "mixtral": (("k_proj", "v_proj", "w2"), ("w2",)),
    "qwen2": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "qwen3": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "gemma": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "gemma2": (("q_proj", "v_proj", "down_proj"), ("down_proj",)),
    "bert": (("key", "value", "output.dense"), ("output.dense",)),
}

# model_type -> (layout, norms per decoder layer, query/key norms) for configs read from disk.
_KNOWN_TYPES: dict[str, tuple[Layout, int, bool]] = {
    "llama": ("llama", 2, False),
    "mistral": ("llama", 2, False),
    "mixtral": ("llama", 2, False),
    "qwen2": ("llama", 2, False),
    "qwen3": ("llama", 2, True),
    "gemma": ("llama", 2, False),
    "gemma2": ("llama", 4, False),
    "gemma3_text": ("llama", 4, True),
    "olmo2": ("llama", 2, False),
    "granite": ("llama", 2, False),
    "phi3": ("phi3", 2, False),
    "qwen": ("qwen", 2, False),
    "bert": ("bert", 2, False),
}


@dataclass(frozen=True, slots=True)
class LinearModule:
    """A weight matrix inside one decoder layer (`count` copies: MoE experts)."""

    name: str  # module path inside the layer, as PEFT matches it: "self_attn.q_proj"
    in_features: int
    out_features: int
    bias: bool
    kind: ModuleKind
    count: int = 1
    # False for fused expert tensors and routers stored as nn.Parameter (transformers >= 5):
    # bitsandbytes only quantizes nn.Linear, and PEFT's `all-linear` only targets nn.Linear.
    is_linear: bool = True

    @property
    def weight_params(self) -> int:
        return self.in_features * self.out_features * self.count

    @property
    def bias_params(self) -> int:
        return self.out_features * self.count if self.bias else 0

    def matches(self, target: str) -> bool:
        """PEFT's rule: the full name, or a suffix starting at a dot."""
        return self.name == target or self.name.endswith("." + target)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """Architecture dimensions of one model; parameter counts are derived."""

    name: str
    model_type: str
    layout: Layout
    hidden_size: int
    intermediate_size: int  # per projection (Qwen-1's config.json states twice this)
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    tie_word_embeddings: bool = False
    qkv_bias: bool = False
    attn_out_bias: bool = False
    mlp_bias: bool = False
    gated_mlp: bool = True
    norm: Literal["rms", "layernorm"] = "rms"
    norms_per_layer: int = 2
    qk_norm: bool = False
    num_experts: int = 0
    experts_per_token: int = 0
    position_embeddings: int = 0  # learned absolute positions (BERT)
    token_type_embeddings: int = 0
    head: Head = "causal-lm"
    num_labels: int = 2
    max_position_embeddings: int | None = None
    hidden_dropout: float = 0.0
    attention_dropout: float = 0.0
    hf_repo: str | None = None
    aliases: tuple[str, ...] = ()
    source: str = "catalog"
    expected_params: int | None = None  # published/computed reference total, checked in tests
    notes: tuple[str, ...] = field(default=())

    # --- derived dimensions -------------------------------------------------------------
    @property
    def q_dim(self) -> int:
        return self.num_heads * self.head_dim

    @property
    def kv_dim(self) -> int:
        return self.num_kv_heads * self.head_dim

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    def layer_modules(self) -> tuple[LinearModule, ...]:
        """The weight matrices of one decoder (or encoder) layer, named as in transformers."""
        h, i, q, kv = self.hidden_size, self.intermediate_size, self.q_dim, self.kv_dim
        if self.layout == "phi3":
            return (
                LinearModule("self_attn.qkv_proj", h, q + 2 * kv, self.qkv_bias, "attention"),
                LinearModule("self_attn.o_proj", q, h, self.attn_out_bias, "attention"),
                LinearModule("mlp.gate_up_proj", h, 2 * i, self.mlp_bias, "mlp"),
                LinearModule("mlp.down_proj", i, h, self.mlp_bias, "mlp"),
            )
        if self.layout == "qwen":
            return (
                LinearModule("attn.c_attn", h, q + 2 * kv, self.qkv_bias, "attention"),
                LinearModule("attn.c_proj", q, h, self.attn_out_bias, "attention"),
                LinearModule("mlp.w1", h, i, self.mlp_bias, "mlp"),
                LinearModule("mlp.w2", h, i, self.mlp_bias, "mlp"),
                LinearModule("mlp.c_proj", i, h, self.mlp_bias, "mlp"),
            )
        if self.layout == "bert":
            return (
                LinearModule("attention.self.query", h, q, True, "attention"),
                LinearModule("attention.self.key", h, kv, True, "attention"),
                LinearModule("attention.self.value", h, kv, True, "attention"),
                LinearModule("attention.output.dense", q, h, True, "attention"),
                LinearModule("intermediate.dense", h, i, True, "mlp"),
                LinearModule("output.dense", i, h, True, "mlp"),
            )
        attention = (
            LinearModule("self_attn.q_proj", h, q, self.qkv_bias, "attention"),
            LinearModule("self_attn.k_proj", h, kv, self.qkv_bias, "attention"),
            LinearModule("self_attn.v_proj", h, kv, self.qkv_bias, "attention"),
            LinearModule("self_attn.o_proj", q, h, self.attn_out_bias, "attention"),
        )
        if self.is_moe:
            # transformers >= 5 stores experts as fused 3D tensors and the router as a
            # parameter (MixtralExperts / MixtralTopKRouter), not as nn.Linear modules.
            e = self.num_experts
            return (
                *attention,
                LinearModule("mlp.gate", h, e, False, "router", is_linear=False),
                LinearModule("mlp.experts.gate_up_proj", h, 2 * i, False, "expert", e, False),
                LinearModule("mlp.experts.down_proj", i, h, False, "expert", e, False),
            )
        return (
            *attention,
            LinearModule("mlp.gate_proj", h, i, self.mlp_bias, "mlp"),
            LinearModule("mlp.up_proj", h, i, self.mlp_bias, "mlp"),
            LinearModule("mlp.down_proj", i, h, self.mlp_bias, "mlp"),
        )

    def extra_modules(self) -> tuple[LinearModule, ...]:
        """Linear modules outside the layers that PEFT's `all-linear` would target (BERT)."""
        if self.layout == "bert":
            return (LinearModule("pooler.dense", self.hidden_size, self.hidden_size, True, "head"),)
        return ()

    # --- parameter counts ---------------------------------------------------------------
    @property
    def norm_params_per_layer(self) -> int:
        per_norm = self.hidden_size * (2 if self.norm == "layernorm" else 1)
        qk = 2 * self.head_dim if self.qk_norm else 0
        return self.norms_per_layer * per_norm + qk

    @property
    def layer_linear_params(self) -> int:
        """Weights of one layer's matrices (what 4/8-bit quantization replaces)."""
        return sum(m.weight_params for m in self.layer_modules() if m.is_linear)

    @property
    def layer_params(self) -> int:
        mods = self.layer_modules()
        return sum(m.weight_params + m.bias_params for m in mods) + self.norm_params_per_layer

    @property
    def embedding_params(self) -> int:
        """Input embeddings (token, plus learned positions and token types for BERT)."""
        h = self.hidden_size
        extra = (self.position_embeddings + self.token_type_embeddings) * h
        norm = 2 * h if self.layout == "bert" else 0  # BERT's embedding LayerNorm
        return self.vocab_size * h + extra + norm

    @property
    def final_norm_params(self) -> int:
        if self.layout == "bert":
            return 0
        return self.hidden_size * (2 if self.norm == "layernorm" else 1)

    @property
    def head_params(self) -> int:
        """Output layer: lm_head (0 when tied) or pooler + classifier."""
        h = self.hidden_size
        if self.head == "sequence-classification":
            pooler = h * h + h if self.layout == "bert" else 0
            bias = self.num_labels if self.layout == "bert" else 0
            return pooler + h * self.num_labels + bias
        return 0 if self.tie_word_embeddings else self.vocab_size * h

    @property
    def lm_head_params(self) -> int:
        """The vocabulary projection's own weights (0 when tied or not a causal LM)."""
        if self.head != "causal-lm" or self.tie_word_embeddings:
            return 0
        return self.vocab_size * self.hidden_size

    @property
    def output_classes(self) -> int:
        """Width of the logits the loss sees: the vocabulary, or the classifier's labels."""
        return self.vocab_size if self.head == "causal-lm" else self.num_labels

    def param_count(self) -> int:
        """All parameters, counting tied embeddings once (as `model.num_parameters()`)."""
        return (
            self.embedding_params
            + self.num_layers * self.layer_params
            + self.final_norm_params
            + self.head_params
        )

    def active_param_count(self) -> int:
        """Parameters used per token (MoE: only `experts_per_token` experts)."""
        if not self.is_moe:
            return self.param_count()
        per_expert = sum(
            (m.weight_params + m.bias_params) // m.count
            for m in self.layer_modules()
            if m.kind == "expert"
        )
        idle = (self.num_experts - self.experts_per_token) * per_expert
        return self.param_count() - self.num_layers * idle

    @property
    def display_name(self) -> str:
        return self.hf_repo or self.name


@dataclass(frozen=True, slots=True)
class ModelLookup:
    """The outcome of resolving a name: a spec, or why there is none."""

    spec: ModelSpec | None
    reason: str | None = None
    via: str = "catalog"  # catalog | config.json | hf-cache


def lora_default_targets(spec: ModelSpec) -> tuple[str, ...] | None:
    """PEFT's LoRA targets when none are given; None where PEFT has no default."""
    return _LORA_DEFAULTS.get(spec.model_type)


def ia3_default_targets(spec: ModelSpec) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """PEFT's IA3 (targets, feed-forward targets) for the model type; None if PEFT has none."""
    return _IA3_DEFAULTS.get(spec.model_type)


# --- catalog ----------------------------------------------------------------------------
def _key(name: str) -> str:
    """Comparison key: lower case, letters, digits and dots only ("Llama 3.1 8B" == "llama3.1-8b")."""
    return re.sub(r"[^a-z0-9.]", "", name.lower())


def _spec_from_row(row: dict[str, Any]) -> ModelSpec:
    known = {f for f in ModelSpec.__dataclass_fields__}  # type: ignore[attr-defined]
    unknown = set(row) - known
    if unknown:
        raise ValueError(f"models.toml: unknown fields {sorted(unknown)} in {row.get('name')}")
    values = dict(row)
    values["aliases"] = tuple(values.get("aliases", ()))
    values["notes"] = tuple(values.get("notes", ()))
    return ModelSpec(**values)


@cache
def catalog() -> tuple[ModelSpec, ...]:
    """Every catalog entry, in file order (loaded once)."""
    data = tomllib.loads(_CATALOG.read_text(encoding="utf-8"))
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


def _catalog_lookup(name: str) -> ModelSpec | None:
    index = _index()
    text = name.strip().lower().rstrip("/")
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


# --- config.json ------------------------------------------------------------------------
def spec_from_hf_config(config: dict[str, Any], name: str, source: str) -> ModelSpec | str:
    """A spec from a transformers `config.json` dict, or the reason it cannot be read."""
    cfg = config.get("text_config") if isinstance(config.get("text_config"), dict) else config
    model_type = str(cfg.get("model_type") or config.get("model_type") or "")
    notes: list[str] = []
    if model_type in _KNOWN_TYPES:
        layout, norms, qk_norm = _KNOWN_TYPES[model_type]
    elif all(k in cfg for k in ("hidden_size", "num_hidden_layers", "num_attention_heads")):
        layout, norms, qk_norm = "llama", 2, False
        notes.append(f"model_type {model_type or '?'} read as a Llama-like decoder")
    else:
        return f"config.json of {name} has no model_type the estimator knows ({model_type!r})"
    try:
        hidden = int(cfg["hidden_size"])
        layers = int(cfg.get("num_hidden_layers", cfg.get("n_layer", 0)))
        heads = int(cfg["num_attention_heads"])
        vocab = int(cfg.get("vocab_size", 0))
        intermediate = int(cfg.get("intermediate_size") or cfg.get("ffn_hidden_size") or 0)
    except (KeyError, TypeError, ValueError) as exc:
        return f"config.json of {name} lacks an architecture field ({exc})"
    if not (hidden and layers and heads and vocab and intermediate):
        return f"config.json of {name} lacks hidden/intermediate size, layers, heads or vocab"
    kv_heads = int(cfg.get("num_key_value_heads") or heads)
    head_dim = int(cfg.get("head_dim") or cfg.get("kv_channels") or hidden // heads)
    experts = int(cfg.get("num_local_experts") or cfg.get("num_experts") or 0)
    if model_type == "qwen":
        intermediate //= 2  # Qwen-1 states the sum of w1 and w2
    tie_default = model_type in ("gemma", "gemma2", "gemma3_text", "bert")
    spec = ModelSpec(
        name=name,
        model_type=model_type,
        layout=layout,
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=vocab,
        tie_word_embeddings=bool(cfg.get("tie_word_embeddings", tie_default)),
        # Qwen2 and Qwen-1 hard-code a q/k/v bias; elsewhere `attention_bias` covers q/k/v/o.
        qkv_bias=model_type in ("qwen2", "qwen") or bool(cfg.get("attention_bias", False)),
        attn_out_bias=bool(cfg.get("attention_bias", False)),
        mlp_bias=bool(cfg.get("mlp_bias", False)),
        gated_mlp=layout != "bert",
        norm="layernorm" if layout == "bert" else "rms",
        norms_per_layer=norms,
        qk_norm=qk_norm,
        num_experts=experts,
        experts_per_token=int(cfg.get("num_experts_per_tok") or 0),
        position_embeddings=int(cfg.get("max_position_embeddings", 0)) if layout == "bert" else 0,
        token_type_embeddings=int(cfg.get("type_vocab_size", 0)) if layout == "bert" else 0,
        head="sequence-classification" if layout == "bert" else "causal-lm",
        max_position_embeddings=cfg.get("max_position_embeddings"),
        hidden_dropout=float(cfg.get("hidden_dropout_prob", 0.0) or 0.0),
        attention_dropout=float(
            cfg.get("attention_dropout", cfg.get("attention_probs_dropout_prob", 0.0)) or 0.0
        ),
        hf_repo=name if "/" in name and not Path(name).exists() else None,
        source=source,
        notes=tuple(notes),
    )
    return spec


def _read_config(path: Path, name: str, via: str) -> ModelLookup:
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return ModelLookup(None, f"cannot read {path}: {exc}", via)
    if not isinstance(config, dict):
        return ModelLookup(None, f"{path} is not a JSON object", via)
    result = spec_from_hf_config(config, name, str(path))
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
            continue
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


def lookup_model(name: str, search_paths: tuple[Path | str, ...] = ()) -> ModelLookup:
    """Resolve a model name: catalog, then a local folder's config.json, then the HF cache.

    `search_paths` are folders a relative model path may be relative to (the config file's
    folder first). The reason string explains a miss in words a finding can show.
    """
    if not name or not name.strip():
        return ModelLookup(None, "no model name")
    spec = _catalog_lookup(name)
    if spec is not None:
        return ModelLookup(spec)
    if len(name) > MAX_NAME_LENGTH or "\x00" in name:
        return ModelLookup(None, "the model name is not a hub id or a path")
    raw = Path(os.path.expanduser(name.strip()))
    folders = [raw] if raw.is_absolute() else [Path(p) / raw for p in search_paths] + [raw]
    for folder in folders:
        config = folder / "config.json"
        if _is_file(config):
            return _read_config(config, name.strip(), "config.json")
    looks_local = name.strip().startswith((".", "/", "~")) or raw.is_absolute()
    if not looks_local and re.fullmatch(r"[\w.-]+/[\w.-]+", name.strip()):
        cached = _cached_config(name.strip())
        if cached is not None:
            return _read_config(cached, name.strip(), "hf-cache")
        return ModelLookup(
            None,
            f"{name.strip()} is not in the model catalog, not a local folder, and not in the "
            "offline Hugging Face cache",
        )
    return ModelLookup(
        None, f"{name.strip()} is not in the model catalog and no folder with a config.json"
    )


def resolve_model(name: str, search_paths: tuple[Path | str, ...] = ()) -> ModelSpec | None:
    """The ModelSpec for a name (see `lookup_model` for the reason when there is none)."""
    return lookup_model(name, search_paths).spec


def with_overrides(spec: ModelSpec, **changes: Any) -> ModelSpec:
    """A copy with some fields changed (what-ifs and tests)."""
    return replace(spec, **changes)
