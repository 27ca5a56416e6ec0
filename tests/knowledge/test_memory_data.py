"""What the data says (memory_data.py): the longest sample of a local file, counted with the
model's tokenizer when it is on disk, else at 4 characters per token; and the lint path's
estimate using it when packing is off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunelint.knowledge import memory_data
from tunelint.knowledge.memory_data import CHARS_PER_TOKEN, data_lengths, sample_texts
from tunelint.lint import lint_file


def _jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_longest_sample_in_characters_per_token(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "d.jsonl", [{"text": "a" * 400}, {"text": "b" * 1000}, {}])
    found = data_lengths(data)
    assert found is not None
    assert CHARS_PER_TOKEN == 4.0
    assert (found.longest_tokens, found.records, found.complete) == (250, 3, True)
    assert found.counted_with == "4.0 characters per token"
    assert data_lengths(tmp_path / "absent.jsonl") is None
    assert data_lengths(_jsonl(tmp_path / "x.parquet", [{"text": "a"}])) is None


def test_preference_pairs_are_two_sequences() -> None:
    record = {"prompt": "p" * 40, "chosen": "c" * 400, "rejected": "r" * 80}
    texts = sample_texts(record)
    assert [len(t) for t in texts] == [441, 121]  # prompt + "\n" + each answer
    chat = {"messages": [{"role": "user", "content": "hi"}, {"role": "bot", "content": "yo"}]}
    assert sample_texts(chat) == ["user\nhi\nbot\nyo"]


def test_only_a_prefix_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_data, "MAX_RECORDS", 10)
    records = [{"text": "a" * 4}] * 20 + [{"text": "z" * 4000}]
    found = data_lengths(_jsonl(tmp_path / "big.jsonl", records))
    assert found is not None
    assert (found.records, found.complete, found.longest_tokens) == (10, False, 1)


def _tokenizer(folder: Path) -> Path:
    pytest.importorskip("tokenizers")  # optional: the estimate falls back to characters
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.WordLevel({"[UNK]": 0, "word": 1}, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    folder.mkdir(parents=True)
    tok.save(str(folder / "tokenizer.json"))
    return folder / "tokenizer.json"


def test_counted_with_the_models_tokenizer(tmp_path: Path) -> None:
    tokenizer = _tokenizer(tmp_path / "tok")
    data = _jsonl(tmp_path / "d.jsonl", [{"text": "word " * 300}])
    found = data_lengths(data, tokenizer)
    assert found is not None
    # 300 whitespace-separated words: 300 tokens (1500 characters would read as 375).
    assert (found.longest_tokens, found.counted_with) == (300, "the model's tokenizer")


CONFIG = """\
model:
  name: meta-llama/Llama-3.2-3B
  max_seq_len: 2048
peft:
  kind: lora
precision: bf16
hardware:
  gpu: A10G
training:
  micro_batch_size: 2
data:
  train: train.jsonl
"""


def _scenario_and_notes(config: Path) -> tuple[int, tuple[str, ...]]:
    ctx = lint_file(config).context
    assert ctx is not None and ctx.estimate is not None
    report = ctx.estimate
    assert report.scenario is not None and report.estimate is not None
    return report.scenario.seq_len, report.estimate.assumptions


def test_lint_estimate_uses_the_datas_lengths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The offline Hugging Face cache is this folder only (whatever the machine has, and
    # whatever other tests patched in tunelint.knowledge.models).
    from tunelint.knowledge import models

    monkeypatch.setattr(models, "hf_cache_dirs", lambda: [tmp_path / "hub"])
    _jsonl(tmp_path / "train.jsonl", [{"text": "word " * 100}, {"text": "word " * 300}])
    (tmp_path / "cfg.tune.yaml").write_text(CONFIG)
    seq, notes = _scenario_and_notes(tmp_path / "cfg.tune.yaml")
    assert seq == 375  # 1500 characters / 4
    assert not any(n.startswith("sequences padded to the full length") for n in notes)
    assert (
        "data train.jsonl: longest sample 375 tokens (2 records; counted with 4.0 characters "
        "per token): sequences of 375 tokens, not max_seq_len 2,048" in notes
    )
    # With the model's tokenizer in the (offline) Hugging Face cache: its count.
    _tokenizer(tmp_path / "hub" / "models--meta-llama--Llama-3.2-3B" / "snapshots" / "abc")
    again = tmp_path / "again"
    again.mkdir()
    _jsonl(again / "train.jsonl", [{"text": "word " * 100}, {"text": "word " * 300}])
    (again / "cfg.tune.yaml").write_text(CONFIG)
    seq, notes = _scenario_and_notes(again / "cfg.tune.yaml")
    assert seq == 300 and any("counted with the model's tokenizer" in n for n in notes)
    # Longer than max_seq_len: truncated.
    (tmp_path / "short.tune.yaml").write_text(CONFIG.replace("2048", "256"))
    seq, notes = _scenario_and_notes(tmp_path / "short.tune.yaml")
    assert seq == 256 and any("truncated at max_seq_len 256" in n for n in notes)
    # Packing fills every sequence to max_seq_len: the data's lengths do not apply.
    packed = CONFIG.replace(
        "  micro_batch_size: 2\n", "  micro_batch_size: 2\n  sample_packing: true\n"
    )
    (tmp_path / "packed.tune.yaml").write_text(packed)
    seq, notes = _scenario_and_notes(tmp_path / "packed.tune.yaml")
    assert seq == 2048 and not any(n.startswith("data ") for n in notes)
    assert any(n.startswith("sequences padded to the full length") for n in notes)
