"""The activation model against the tensors autograd really saves: a small Llama-shaped model
(GQA) in bf16 on CPU, with transformers and PEFT, per layer (the graph of a 2-layer model
minus that of a 1-layer model). Needs the [train] extra."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tunelint.knowledge.memory import MemoryScenario, layer_activations
from tunelint.knowledge.memory_activations import autocast_weight_cache
from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.models import ModelSpec

pytestmark = pytest.mark.train

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

H, FFN, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 256, 704, 8, 2, 32, 1000
BATCH, SEQ = 2, 64


def _spec(layers: int) -> ModelSpec:
    return ModelSpec(
        name="small",
        model_type="llama",
        layout="llama",
        hidden_size=H,
        intermediate_size=FFN,
        num_layers=layers,
        num_heads=HEADS,
        num_kv_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        vocab_size=VOCAB,
    )


def _model(layers: int, attention: str, peft_kind: str, dropout: float = 0.0) -> Any:
    config = transformers.LlamaConfig(
        hidden_size=H,
        intermediate_size=FFN,
        num_hidden_layers=layers,
        num_attention_heads=HEADS,
        num_key_value_heads=KV_HEADS,
        head_dim=HEAD_DIM,
        vocab_size=VOCAB,
        tie_word_embeddings=False,
    )
    config._attn_implementation = attention
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.train()
    if peft_kind == "frozen":
        for p in model.parameters():
            p.requires_grad_(False)
        model.get_input_embeddings().weight.requires_grad_(True)  # gradients flow everywhere
    elif peft_kind in ("lora", "lora-all", "dora"):
        targets = "all-linear" if peft_kind == "lora-all" else ["q_proj", "v_proj"]
        cfg = peft.LoraConfig(
            r=8, target_modules=targets, lora_dropout=dropout, use_dora=peft_kind == "dora"
        )
        model = peft.get_peft_model(model, cfg)
    elif peft_kind == "ia3":
        model = peft.get_peft_model(model, peft.IA3Config())
    return model


def _saved_bytes(model: Any, autocast: bool = False) -> int:
    """Bytes of the distinct non-parameter tensors the loss's graph keeps for backward
    (`autocast`: the forward under torch.autocast in bf16, as the HF Trainer runs it)."""
    ids = torch.randint(0, VOCAB, (BATCH, SEQ), generator=torch.Generator().manual_seed(1))
    owned = {t.untyped_storage().data_ptr() for t in (*model.parameters(), *model.buffers())}
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
        loss = model(input_ids=ids, labels=ids).loss
    seen: dict[int, int] = {}
    stack, visited = [loss.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in visited:
            continue
        visited.add(node)
        for attr in dir(node):
            if not attr.startswith("_saved_"):
                continue
            try:
                value = getattr(node, attr)
            except Exception:  # some saved fields are not readable outside backward
                continue
            for t in value if isinstance(value, (tuple, list)) else (value,):
                if isinstance(t, torch.Tensor):
                    ptr = t.untyped_storage().data_ptr()
                    if ptr not in owned:
                        seen[ptr] = t.untyped_storage().nbytes()
        stack.extend(n for n, _ in node.next_functions)
    return sum(seen.values())


CASES = [
    ("sdpa", "full", "full"),
    ("sdpa", "frozen", "other"),
    ("sdpa", "lora", "lora"),
    ("sdpa", "lora-all", "lora"),
    ("sdpa", "dora", "dora"),
    ("sdpa", "ia3", "ia3"),
    ("eager", "frozen", "other"),
    ("eager", "full", "full"),
]


@pytest.mark.parametrize(("attention", "kind", "method"), CASES)
def test_saved_tensors_per_layer(attention: str, kind: str, method: str) -> None:
    measured = _saved_bytes(_model(2, attention, kind)) - _saved_bytes(_model(1, attention, kind))
    spec = _spec(2)
    targets: Any = "all-linear" if kind == "lora-all" else ("q_proj", "v_proj")
    if kind == "ia3":
        targets = None
    scn = MemoryScenario(
        model=spec,
        micro_batch_size=BATCH,
        seq_len=SEQ,
        peft=method,  # type: ignore[arg-type]
        lora_r=8,
        target_modules=targets,
        trainable_params=VOCAB * H if method == "other" else None,
        attention=attention,  # type: ignore[arg-type]
        padded_batch=False,  # no padding: sdpa takes its GQA path
        weight_dtype="bf16",
    )
    adapters = adapter_plan(
        spec, scn.peft, r=8, targets=targets, trainable_params=scn.trainable_params
    )
    layer = layer_activations(scn, adapters, SEQ)
    predicted = BATCH * SEQ * (layer.saved + layer.per_sequence)
    # The model leaves out a few per-token scalars (RMSNorm's rsqrt, DoRA's norms): < 1 %.
    assert predicted == pytest.approx(measured, rel=0.01), (measured, predicted)


def test_lora_saves_under_autocast() -> None:
    """PEFT casts x to the fp32 adapter's dtype; under autocast lora_A's matmul casts it back
    and saves that bf16 copy (the fp32 one is freed): 2 B per input value, not 4. Autocast
    also keeps a bf16 copy of each fp32 adapter weight. (No dropout here: on CPU dropout
    keeps a mask in the input's dtype, where CUDA's fused kernel keeps a 1-byte one.)"""
    dropout = 0.0

    def saved(layers: int) -> int:
        torch.manual_seed(0)
        model = _model(layers, "sdpa", "lora-all", dropout)
        return _saved_bytes(model, autocast=True)

    measured = saved(2) - saved(1)
    spec = _spec(2)
    scn = MemoryScenario(
        model=spec,
        micro_batch_size=BATCH,
        seq_len=SEQ,
        peft="lora",
        lora_r=8,
        target_modules="all-linear",
        lora_dropout=dropout,
        padded_batch=False,
        weight_dtype="bf16",
        autocast=True,
    )
    adapters = adapter_plan(spec, "lora", r=8, targets="all-linear")
    cached, _ = autocast_weight_cache(scn, adapters.trainable_params)
    per_layer_cache = cached / spec.num_layers
    assert per_layer_cache == 2 * (17_920 + 18_432)  # lora_A + lora_B parameters of a layer
    predicted = BATCH * SEQ * layer_activations(scn, adapters, SEQ).saved + per_layer_cache
    assert predicted == pytest.approx(measured, rel=0.01), (measured, predicted)
    # Without autocast the fp32 copies are what lora_A saves: more than measured here.
    eager = BATCH * SEQ * layer_activations(replace(scn, autocast=False), adapters, SEQ).saved
    assert eager > measured * 1.2
