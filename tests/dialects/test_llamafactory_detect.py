"""LLaMA-Factory v0 detection claims a file only on keys LLaMA-Factory alone defines: the
plain words `stage`, `dataset` and `template` are other projects' keys too (issue 14)."""

from __future__ import annotations

from tunelint.config.detect import detect_dialect
from tunelint.config.dialects.llamafactory import OWN_KEYS
from tunelint.config.document import parse_document
from tunelint.knowledge.options import table

# A project's own `python -m src.cli sft --config configs/sft.yaml` config.
OWN_CLI = """\
stage: sft
dataset: gsm8k
n_train: 1000
max_length: 512
batch_size: 4
learning_rate: 2.0e-4
num_epochs: 3
"""


def test_generic_words_alone_do_not_claim_a_file() -> None:
    assert detect_dialect(parse_document(OWN_CLI, "configs/sft.yaml")).name is None
    text = OWN_CLI + "template: qwen\n"
    assert detect_dialect(parse_document(text, "configs/sft.yaml")).name is None


def test_a_key_only_llamafactory_has_claims_it() -> None:
    for key, value in (("finetuning_type", "lora"), ("cutoff_len", "2048")):
        text = f"model_name_or_path: Qwen/Qwen2.5-0.5B\nstage: sft\ndataset: x\n{key}: {value}\n"
        detection = detect_dialect(parse_document(text, "train.yaml"))
        assert (detection.name, detection.confidence >= 0.5) == ("llamafactory", True), key
    # A LLaMA-Factory stage beside its model key is its own too.
    text = "model_name_or_path: Qwen/Qwen2.5-0.5B\nstage: sft\ndataset: x\n"
    assert detect_dialect(parse_document(text, "train.yaml")).name == "llamafactory"


def test_own_keys_are_llamafactory_keys_no_other_framework_has() -> None:
    llamafactory = set().union(*(s.keys for s in table("llamafactory").sections.values()))
    others: set[str] = set()
    for framework in ("transformers", "trl", "axolotl", "torchtune", "deepspeed", "accelerate"):
        others |= set().union(*(s.keys for s in table(framework).sections.values()))
    assert OWN_KEYS
    for key in OWN_KEYS:
        assert key in llamafactory and key not in others and "_" in key, key
