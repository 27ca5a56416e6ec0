"""The loss spike and gradient checkpointing against what PyTorch really keeps alive on CPU:
every storage created and freed during a step, read from the profiler's memory timeline
(torch.profiler with profile_memory), on a small Llama in bf16 with transformers.
Needs the [train] extra."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tunelint.knowledge.memory_activations import loss_spike, stored_activations
from tunelint.knowledge.memory_peft import adapter_plan
from tunelint.knowledge.memory_scenario import BatchShape, MemoryScenario
from tunelint.knowledge.models import ModelSpec

pytestmark = pytest.mark.train

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

TOKENS, HIDDEN, VOCAB = 512, 64, 32_000
LAYERS, SEQ = 4, 256
TOLERANCE = 0.05


def _live_bytes(fn: Callable[[], Any]) -> tuple[int, int]:
    """(peak, end) bytes of storages alive while `fn` runs, above what existed before it."""
    from torch.profiler import ProfilerActivity, profile
    from torch.profiler._memory_profiler import Action

    with profile(
        activities=[ProfilerActivity.CPU], profile_memory=True, record_shapes=True, with_stack=True
    ) as prof:
        fn()
    alive: dict[int, int] = {}  # storage id -> bytes
    peak = 0
    for _, action, (key, _), size in prof._memory_profile().timeline:
        if action == Action.CREATE:
            alive[key] = size
        elif action == Action.DESTROY:
            alive.pop(key, None)
        peak = max(peak, sum(alive.values()))
    assert peak, "the profiler saw no allocation"
    return peak, sum(alive.values())


def _spec(layers: int = LAYERS, vocab: int = VOCAB) -> ModelSpec:
    return ModelSpec(
        name="small",
        model_type="llama",
        layout="llama",
        hidden_size=HIDDEN,
        intermediate_size=176,
        num_layers=layers,
        num_heads=4,
        num_kv_heads=2,
        head_dim=16,
        vocab_size=vocab,
    )


def _loss_step(upcast: bool, hold_logits: bool, in_model: bool = False) -> Callable[[], Any]:
    torch.manual_seed(0)
    hidden = torch.randn(TOKENS, HIDDEN, dtype=torch.bfloat16, requires_grad=True)
    weight = torch.randn(VOCAB, HIDDEN, dtype=torch.bfloat16)  # a frozen lm_head
    labels = torch.randint(0, VOCAB, (TOKENS,))
    kept: list[Any] = []

    def step() -> None:
        logits = hidden @ weight.t()
        if in_model:  # transformers < 4.45 LlamaForCausalLM: `logits = logits.float()`
            logits = logits.float()
        if hold_logits:
            kept.append(logits)  # the training loop keeps `outputs.logits`
        # transformers loss_utils ForCausalLMLoss: logits.float() then cross_entropy.
        source = logits.float() if upcast else logits
        del logits
        loss = torch.nn.functional.cross_entropy(source, labels)
        del source
        loss.backward()

    return step


@pytest.mark.parametrize(("upcast", "held"), [(True, False), (True, True), (False, False)], ids=str)
def test_loss_spike_matches_live_tensors(upcast: bool, held: bool) -> None:
    scn = MemoryScenario(_spec(), loss_upcast=upcast, logits_held=held)
    expected, _ = loss_spike(scn, TOKENS)
    peak, _ = _live_bytes(_loss_step(upcast, held))
    assert abs(peak - expected) <= TOLERANCE * expected, (peak, expected)


def test_checkpointed_activations_match_live_tensors() -> None:
    config = transformers.LlamaConfig(
        hidden_size=HIDDEN,
        intermediate_size=176,
        num_hidden_layers=LAYERS,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        vocab_size=1000,
        tie_word_embeddings=False,
    )
    config._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.train()
    for p in model.parameters():
        p.requires_grad_(False)
    model.get_input_embeddings().weight.requires_grad_(True)  # gradients flow everywhere
    model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    ids = torch.randint(0, 1000, (1, SEQ))
    kept: list[Any] = []

    def forward() -> None:
        kept.append(model.model(input_ids=ids).last_hidden_state)

    _, alive = _live_bytes(forward)
    scn = MemoryScenario(_spec(vocab=1000), peft="none", gradient_checkpointing=True)
    stored, _, _ = stored_activations(scn, adapter_plan(scn.model, "none"), BatchShape(1, SEQ, SEQ))
    expected = stored + SEQ * HIDDEN * 2  # plus the output we hold
    assert abs(alive - expected) <= TOLERANCE * expected, (alive, expected)


def test_logits_upcast_by_the_model_and_held() -> None:
    scn = MemoryScenario(_spec(), model_upcasts_logits=True, logits_held=True)
    expected, _ = loss_spike(scn, TOKENS)
    assert expected == TOKENS * VOCAB * 16  # three fp32 tensors at the backward + fp32 held
    peak, _ = _live_bytes(_loss_step(True, True, in_model=True))
    assert abs(peak - expected) <= TOLERANCE * expected, (peak, expected)
