"""DPO with PEFT uses the base model with the adapter disabled as its reference."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from runner_support import DATA, config, train

PROBE = torch.tensor([[5, 17, 42, 99, 7, 3, 250, 11]])


def test_dpo_reference_is_the_adapter_disabled_base(
    tmp_path: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transformers import AutoModelForCausalLM
    from trl.trainer import dpo_trainer

    seen: list[tuple[str | None, torch.Tensor]] = []
    original = dpo_trainer.use_adapter

    @contextlib.contextmanager
    def spy(model: Any, adapter_name: str | None) -> Iterator[None]:
        with original(model, adapter_name):
            with torch.no_grad():
                seen.append((adapter_name, model(input_ids=PROBE).logits.clone()))
            yield

    monkeypatch.setattr(dpo_trainer, "use_adapter", spy)
    cfg = config(
        tmp_path,
        method={"kind": "dpo", "beta": 0.1},
        training={"max_steps": 3, "learning_rate": 1e-2},
        data={"train": str(DATA / "preference.jsonl"), "format": "preference"},
    )
    result = train(tmp_path, cfg)
    trainer = result.trainer

    # No second model in memory, no copied "ref" adapter: the reference is the frozen base.
    assert trainer.ref_model is None
    assert set(trainer.model.peft_config) == {"default"}
    assert result.resolved["reference"] == "base model with the adapter disabled"
    assert seen, "the reference forward pass never ran"
    assert all(name is None for name, _ in seen)  # None: every adapter disabled

    base = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="eager").eval()
    with torch.no_grad():
        base_logits = base(input_ids=PROBE).logits
        policy_logits = trainer.model(input_ids=PROBE).logits
    for _, reference_logits in seen:
        assert torch.allclose(reference_logits, base_logits, atol=1e-5)
    # ...while the policy itself has moved away from the base.
    assert not torch.allclose(policy_logits, base_logits, atol=1e-4)
