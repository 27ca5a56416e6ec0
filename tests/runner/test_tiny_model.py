"""The built-in tiny model: built once, cached, a real Llama with a chat template."""

from __future__ import annotations

from pathlib import Path

import pytest

from tunelint.runner.models import resolve_model_source
from tunelint.runner.tiny_model import TINY_MODEL_NAME, ensure_tiny_model, tiny_model_dir


def test_tiny_model_is_cached_and_not_rebuilt(tiny_model: Path) -> None:
    assert tiny_model == tiny_model_dir()
    stamp = (tiny_model / "model.safetensors").stat().st_mtime_ns
    assert ensure_tiny_model() == tiny_model
    assert (tiny_model / "model.safetensors").stat().st_mtime_ns == stamp
    source = resolve_model_source(TINY_MODEL_NAME, Path.cwd())
    assert source.is_tiny and source.is_local and source.location == str(tiny_model)


def test_tiny_model_is_a_llama_with_a_chat_template(tiny_model: Path) -> None:
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(tiny_model)
    assert config.model_type == "llama"
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    assert len(tokenizer) == config.vocab_size
    assert tokenizer.pad_token != tokenizer.eos_token
    text = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        tokenize=False,
    )
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n"
    # Generation markers let TRL compute an assistant-only loss mask.
    masks = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        return_assistant_tokens_mask=True,
        return_dict=True,
    )
    assert any(masks["assistant_masks"]) and not all(masks["assistant_masks"])


def test_tiny_model_was_pretrained_on_its_corpus(tiny_model: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    model = AutoModelForCausalLM.from_pretrained(tiny_model, attn_implementation="eager")
    ids = tokenizer("What is the capital of France?", return_tensors="pt").input_ids
    with torch.no_grad():
        loss = model(input_ids=ids, labels=ids).loss.item()
    # Uniform guessing over the vocabulary would be ln(1024) ~ 6.9.
    assert loss < 4.0


@pytest.mark.parametrize("name", ["./no/such/model", "/abs/no/such/model"])
def test_missing_local_model_folder_is_reported(name: str) -> None:
    from tunelint.runner.errors import ModelLoadError

    with pytest.raises(ModelLoadError, match="no such folder"):
        resolve_model_source(name, Path.cwd())
