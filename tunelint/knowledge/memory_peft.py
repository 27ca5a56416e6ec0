"""Trainable parameters per PEFT method, as PEFT (0.21) builds them, counted per tensor.

Per-tensor counts matter beyond the total: 8-bit optimizers keep small tensors in 32 bit,
Adafactor factors only matrices, and the estimator needs which modules carry an adapter to
count the activations those adapters save.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tunelint.knowledge.models import (
    LinearModule,
    ModelSpec,
    ia3_default_targets,
    lora_default_targets,
)

PeftMethod = Literal[
    "full", "lora", "dora", "ia3", "prefix-tuning", "prompt-tuning", "other", "none"
]
ALL_LINEAR = "all-linear"
# Names the input embedding and the output layer go by across architectures.
EMBEDDING_NAMES = ("embed_tokens", "wte", "word_embeddings", "tok_embeddings", "embed_in")
HEAD_NAMES = ("lm_head", "output", "embed_out")


@dataclass(frozen=True, slots=True)
class TrainableTensor:
    """`count` tensors of shape `shape` that receive gradients and optimizer states."""

    name: str
    shape: tuple[int, ...]
    count: int = 1

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n * self.count


@dataclass(frozen=True, slots=True)
class AdapterPlan:
    """What a PEFT method trains on a model, and where its adapters sit."""

    method: PeftMethod
    tensors: tuple[TrainableTensor, ...]
    targeted: tuple[LinearModule, ...] = ()  # modules with a LoRA/DoRA/IA3 adapter, per layer
    feedforward: tuple[str, ...] = ()  # IA3: targets that scale their input
    notes: tuple[str, ...] = ()

    @property
    def trainable_params(self) -> int:
        return sum(t.numel for t in self.tensors)


def resolve_targets(
    spec: ModelSpec, targets: str | tuple[str, ...] | list[str] | None, method: str
) -> tuple[tuple[LinearModule, ...], tuple[str, ...]]:
    """The layer modules a target list selects, and notes (defaults used, names that miss)."""
    notes: list[str] = []
    modules = spec.layer_modules()
    if targets is None:
        default = lora_default_targets(spec)
        if default is None:
            notes.append(f"PEFT has no default LoRA targets for {spec.model_type}: all-linear")
            targets = ALL_LINEAR
        else:
            targets = default
            notes.append(f"PEFT's default {method} targets for {spec.model_type}: {default}")
    if isinstance(targets, str):
        if targets == ALL_LINEAR:
            chosen = tuple(m for m in modules if m.is_linear)
            skipped = [m.name for m in modules if not m.is_linear]
            if skipped:
                notes.append(
                    "all-linear skips fused expert/router tensors (not nn.Linear in "
                    f"transformers 5): {', '.join(skipped)}"
                )
            return chosen, tuple(notes)
        targets = (targets,)
    wanted = tuple(targets)
    chosen = tuple(m for m in modules if any(m.matches(t) for t in wanted))
    missing = [t for t in wanted if not any(m.matches(t) for m in modules)]
    if missing:
        notes.append(f"target modules not in {spec.name}: {', '.join(missing)}")
    return chosen, tuple(notes)


def adapter_plan(
    spec: ModelSpec,
    method: PeftMethod,
    *,
    r: int = 16,
    targets: str | tuple[str, ...] | list[str] | None = ALL_LINEAR,
    num_virtual_tokens: int = 20,
    trainable_params: int | None = None,
    trainable_embeddings: bool = False,
    feedforward: tuple[str, ...] | None = None,
    modules_to_save: tuple[str, ...] = (),
) -> AdapterPlan:
    """Trainable tensors for `method` on `spec` (see PeftMethod)."""
    layers = spec.num_layers
    tensors: list[TrainableTensor] = []
    targeted: tuple[LinearModule, ...] = ()
    notes: list[str] = []
    if method == "full":
        tensors.append(TrainableTensor("all", (spec.param_count(),)))
    elif method in ("lora", "dora"):
        targeted, found = resolve_targets(spec, targets, "LoRA")
        notes += found
        for m in targeted:
            n = m.layer_count(layers) * m.count  # modules in only some layers: T5, MoE
            tensors.append(TrainableTensor(f"{m.name}.lora_A", (r, m.in_features), n))
            tensors.append(TrainableTensor(f"{m.name}.lora_B", (m.out_features, r), n))
            if method == "dora":
                tensors.append(TrainableTensor(f"{m.name}.magnitude", (m.out_features,), n))
    elif method == "ia3":
        default = ia3_default_targets(spec)
        if targets is None:
            wanted: str | tuple[str, ...] = default[0] if default else ALL_LINEAR
        else:
            wanted = targets if isinstance(targets, str) else tuple(targets)
        if feedforward is None:
            # PEFT fills feedforward_modules from its per-model table when not given.
            feedforward = default[1] if default else ()
        targeted, found = resolve_targets(spec, wanted, "IA3")
        notes += found
        for m in targeted:
            ff = any(m.matches(t) for t in feedforward)
            size = m.in_features if ff else m.out_features
            tensors.append(
                TrainableTensor(f"{m.name}.ia3_l", (size,), m.layer_count(layers) * m.count)
            )
    elif method == "prefix-tuning":
        # PEFT's prefix encoder without projection: key and value prefixes for every layer.
        size = layers * 2 * spec.kv_dim
        tensors.append(TrainableTensor("prefix_encoder", (num_virtual_tokens, size)))
    elif method == "prompt-tuning":
        tensors.append(TrainableTensor("prompt_encoder", (num_virtual_tokens, spec.hidden_size)))
    elif method == "other":
        if trainable_params is None:
            raise ValueError("method 'other' needs trainable_params")
        # Unknown structure: count as many small matrices (what most adapters are).
        tensors.append(TrainableTensor("adapter", (trainable_params,)))
        notes.append(f"adapter structure not modelled: {trainable_params:,} trainable parameters")
    elif method == "none":
        pass
    else:  # pragma: no cover - Literal guards callers
        raise ValueError(f"unknown PEFT method {method!r}")
    if method != "full":
        saved = (*EMBEDDING_NAMES[:1], *HEAD_NAMES[:1]) if trainable_embeddings else ()
        copies, found = modules_to_save_tensors(spec, (*saved, *modules_to_save))
        tensors += copies
        notes += found
    ff_names = tuple(feedforward or ()) if method == "ia3" else ()
    return AdapterPlan(method, tuple(tensors), targeted, ff_names, tuple(notes))


def modules_to_save_tensors(
    spec: ModelSpec, names: tuple[str, ...]
) -> tuple[list[TrainableTensor], list[str]]:
    """PEFT `modules_to_save`: ModulesToSaveWrapper deep-copies each named module and trains
    the copy in full (peft/utils/other.py, PEFT 0.21); the original stays frozen beside it."""
    tensors: list[TrainableTensor] = []
    notes: list[str] = []
    seen: set[str] = set()
    for name in names:
        leaf = name.rsplit(".", 1)[-1]
        if leaf in EMBEDDING_NAMES:
            key, shape, count = "embed_tokens.copy", (spec.vocab_size, spec.hidden_size), 1
        elif leaf in HEAD_NAMES:
            key, shape, count = "lm_head.copy", (spec.vocab_size, spec.hidden_size), 1
        else:
            module = next((m for m in spec.layer_modules() if m.matches(leaf)), None)
            if module is None:
                notes.append(f"modules_to_save entry not in {spec.name}: {name}")
                continue
            key = f"{module.name}.copy"
            shape = (module.out_features, module.in_features)
            count = module.layer_count(spec.num_layers) * module.count
        if key not in seen:
            seen.add(key)
            tensors.append(TrainableTensor(key, shape, count))
    return tensors, notes


def lora_params(spec: ModelSpec, r: int, targets: str | tuple[str, ...] | list[str] | None) -> int:
    """LoRA parameter count (A and B of every targeted module in every layer)."""
    return adapter_plan(spec, "lora", r=r, targets=targets).trainable_params
