"""Model catalog: parameter counts from dimensions, and name resolution."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunelint.knowledge.models import (
    catalog,
    lookup_model,
    model_names,
    resolve_model,
    spec_from_hf_config,
)

SHARED_MODELS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "models.tsv"


@pytest.mark.parametrize("spec", [s for s in catalog() if s.expected_params], ids=lambda s: s.name)
def test_param_count_matches_reference(spec) -> None:
    assert spec.param_count() == spec.expected_params


def test_reference_counts_come_from_shared_models_tsv(require_shared) -> None:  # type: ignore[no-untyped-def]
    require_shared(SHARED_MODELS)
    rows = [line.split("\t") for line in SHARED_MODELS.read_text().splitlines()[1:]]
    published = {r[1]: int(r[14]) for r in rows if r[14].isdigit()}
    checked = 0
    for spec in catalog():
        if spec.hf_repo in published:
            assert spec.param_count() == published[spec.hf_repo], spec.name
            checked += 1
    assert checked >= 14  # every family of the shared table is in the catalog


def test_hand_computed_counts() -> None:
    # Qwen-7B (Qwen-1): embedding 151936*4096 twice (untied), per layer c_attn 4096x12288 +
    # bias, c_proj 4096^2, w1/w2/c_proj 3*4096*11008, two RMSNorms; final norm.
    per_layer = 4096 * 12288 + 12288 + 4096 * 4096 + 3 * 4096 * 11008 + 2 * 4096
    assert resolve_model("Qwen/Qwen-7B").param_count() == 2 * 151936 * 4096 + 32 * per_layer + 4096
    # Mixtral active parameters: 2 of 8 experts per token (Mistral AI: 12.9B).
    assert resolve_model("mixtral").active_param_count() == 12_879_925_248
    # Llama 3.1 405B: 405,853,388,800 as in Meta's model card.
    assert resolve_model("llama3.1:405b").param_count() == 405_853_388_800


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("meta-llama/Llama-3.2-3B", "Llama-3.2-3B"),
        ("meta-llama/Llama-3.2-3B-Instruct", "Llama-3.2-3B"),
        ("unsloth/Llama-3.2-3B-Instruct-bnb-4bit", "Llama-3.2-3B"),
        ("LLAMA 3.1 8B", "Llama-3.1-8B"),
        ("llama3.1:8b", "Llama-3.1-8B"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct", "Llama-3.1-8B"),
        ("Qwen/Qwen2.5-7B-Instruct", "Qwen2.5-7B"),
        ("qwen2.5-0.5b-instruct", "Qwen2.5-0.5B"),
        ("Qwen/Qwen-7B-Chat-Int4", "Qwen-7B"),
        ("Qwen/Qwen-1_8B-Chat", "Qwen-1.8B"),
        ("google/gemma-2-9b-it", "Gemma-2-9B"),
        ("mistralai/Mistral-7B-Instruct-v0.3", "Mistral-7B-v0.3"),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", "Mixtral-8x7B-v0.1"),
        ("microsoft/Phi-3-mini-128k-instruct", "Phi-3-mini-4k-instruct"),
        ("tunelint/tiny", "tunelint/tiny"),
    ],
)
def test_name_resolution(name: str, expected: str) -> None:
    spec = resolve_model(name)
    assert spec is not None and spec.name == expected


def test_unknown_model_gives_a_reason() -> None:
    lookup = lookup_model("my-org/private-model")
    assert lookup.spec is None
    assert "not in the model catalog" in (lookup.reason or "")
    assert "Hugging Face cache" in (lookup.reason or "")
    assert lookup_model("").spec is None


def test_model_names_for_completion() -> None:
    names = model_names()
    assert "meta-llama/Llama-3.1-8B" in names and "Qwen/Qwen2.5-7B" in names
    assert len(names) == len(set(names)) == len(catalog())


QWEN2_CONFIG = {
    "model_type": "qwen2",
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_hidden_layers": 24,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
    "vocab_size": 151936,
    "tie_word_embeddings": True,
}


def test_local_folder_config_json(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "my-qwen"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(QWEN2_CONFIG))
    lookup = lookup_model("models/my-qwen", search_paths=(tmp_path,))
    assert lookup.via == "config.json" and lookup.spec is not None
    # Same architecture as Qwen2.5-0.5B: the same count as the catalog's.
    assert lookup.spec.param_count() == 494_032_768
    assert lookup.spec.qkv_bias and lookup.spec.tie_word_embeddings


def test_offline_hf_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "hub" / "models--acme--tiny-qwen"
    snap = base / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text(json.dumps(QWEN2_CONFIG))
    (base / "refs").mkdir()
    (base / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    lookup = lookup_model("acme/tiny-qwen")
    assert lookup.via == "hf-cache" and lookup.spec is not None
    assert lookup.spec.param_count() == 494_032_768


def test_config_json_errors_are_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")
    assert "cannot read" in (lookup_model(str(folder)).reason or "")
    # t5 is a known layout now; an architecture the estimator has no layout for:
    (folder / "config.json").write_text(json.dumps({"model_type": "wav2vec2"}))
    assert "no model_type" in (lookup_model(str(folder)).reason or "")
    (folder / "config.json").write_text(json.dumps({"model_type": "t5"}))
    assert "lacks hidden/intermediate size" in (lookup_model(str(folder)).reason or "")


def test_unknown_model_type_read_as_llama_like() -> None:
    cfg = dict(QWEN2_CONFIG, model_type="my_decoder")
    spec = spec_from_hf_config(cfg, "acme/x", "test")
    assert not isinstance(spec, str)
    assert any("Llama-like" in n for n in spec.notes)


def test_qwen1_config_halves_intermediate() -> None:
    cfg = {
        "model_type": "qwen",
        "hidden_size": 4096,
        "intermediate_size": 22016,
        "num_hidden_layers": 32,
        "num_attention_heads": 32,
        "vocab_size": 151936,
        "kv_channels": 128,
    }
    spec = spec_from_hf_config(cfg, "Qwen/Qwen-7B", "test")
    assert not isinstance(spec, str)
    assert spec.param_count() == resolve_model("Qwen-7B").param_count()


@pytest.mark.parametrize(
    "name",
    ["a" * 100_000, "x\x00y", "org/" + "a" * 600, "/" + "a/" * 400, "~nobody/x", "🦙/🦙"],
)
def test_hostile_names_give_reasons_not_errors(name: str) -> None:
    lookup = lookup_model(name, search_paths=("/",))
    assert lookup.spec is None and lookup.reason
