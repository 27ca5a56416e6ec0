"""Derived models (data/models_derived.toml), adapter folders and local copies (issue 11 item 4).

A fine-tune or re-upload resolves offline to its base's dimensions with the differences its
entry states; a path that is not on this machine resolves by its folder name as an assumption
that every finding resting on it names, and such a finding is never an error (issue 14).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tunelint.config.settings import Settings
from tunelint.knowledge import models_derived
from tunelint.knowledge.models import (
    catalog_config,
    catalog_model,
    derived_specs,
    lookup_model,
    resolve_model,
)
from tunelint.lint import LintOptions, lint_text

# Bases the derived file names that models.toml (the arch engineer's file) does not hold yet.
# When one is added, its entries resolve and this test says to drop it from the list.
MISSING_BASES: dict[str, str] = {}
ROWS = models_derived.rows()


def test_every_entry_resolves_or_its_missing_base_is_listed() -> None:
    assert len(ROWS) >= 20
    resolved = 0
    for row in ROWS:
        lookup = lookup_model(row["repo"], offline=True)
        base_known = catalog_model(row["base"]) is not None
        if row["base"] in MISSING_BASES:
            assert not base_known, (
                f"{row['base']} is in the catalog now: remove it from MISSING_BASES "
                f"({MISSING_BASES[row['base']]})"
            )
            assert lookup.spec is None
            assert f"derives from {row['base']}, which is not in the model catalog" in (
                lookup.reason or ""
            )
            continue
        assert lookup.spec is not None, (
            f"{row['repo']}: base {row['base']} missing: {lookup.reason}"
        )
        assert lookup.spec.hf_repo == row["repo"] and row["source"]
        resolved += 1
    assert resolved >= 20
    assert len(derived_specs()) == resolved


def _missing_chain(row: dict) -> bool:  # type: ignore[type-arg]
    """Whether the entry's chain of bases ends at a base listed in MISSING_BASES."""
    while (parent := models_derived.find_row(row["base"], by_last_component=False)) is not None:
        row = parent
    return row["base"] in MISSING_BASES


@pytest.mark.parametrize(
    "repo",
    [
        r["repo"]
        for r in ROWS
        if not r.get("config") and not r.get("drop") and not _missing_chain(r)
    ],
)
def test_an_entry_without_changes_has_its_base_dimensions(repo: str) -> None:
    row = models_derived.find_row(repo, by_last_component=False)
    assert row is not None
    base = resolve_model(row["base"])  # the catalog, or the derived entry it chains to
    spec = resolve_model(repo)
    assert spec is not None and base is not None
    assert spec.param_count() == base.param_count()
    assert (spec.model_type, spec.num_layers, spec.hidden_size, spec.vocab_size) == (
        base.model_type,
        base.num_layers,
        base.hidden_size,
        base.vocab_size,
    )
    assert spec.quantization == base.quantization


def test_corpus_fine_tunes_resolve_to_their_bases() -> None:
    expected = {
        "HuggingFaceH4/zephyr-7b-gemma-sft-v0.1": "Gemma-7B",
        "alignment-handbook/mistral-7b-sft-constitutional-ai": "Mistral-7B-v0.1",
        "alignment-handbook/zephyr-7b-sft-qlora": "Mistral-7B-v0.1",
        "loubnabnl/smollm2-1.7B-sft": "SmolLM2-1.7B",
        "neuralmagic/Sparse-Llama-3.1-8B-2of4": "Llama-3.1-8B",
        "RedHatAI/Sparse-Llama-3.1-8B-2of4": "Llama-3.1-8B",
        "open-r1/Qwen2.5-Math-7B-RoPE-300k": "Qwen2.5-Coder-7B",  # Qwen2.5-Math-7B's entry
        "axolotl-ai-co/gpt-oss-120b-dequantized": "gpt-oss-120b",
    }
    for repo, base_name in expected.items():
        spec = resolve_model(repo)
        base = resolve_model(base_name)
        assert spec is not None and base is not None, repo
        assert spec.param_count() == base.param_count(), repo
        assert spec.model_type == base.model_type, repo


def test_stated_differences_are_applied() -> None:
    # OpenHermes adds ChatML's two tokens: two more rows in the untied embedding and lm_head.
    hermes = resolve_model("teknium/OpenHermes-2.5-Mistral-7B")
    mistral = resolve_model("mistralai/Mistral-7B-v0.1")
    assert hermes is not None and mistral is not None
    assert hermes.vocab_size == 32002
    assert hermes.param_count() - mistral.param_count() == 2 * 2 * 4096
    # Tülu 3: open-instruct adds <pad> and pads the vocabulary to a multiple of 8; the DPO and
    # final models inherit it through the chain.
    tulu = resolve_model("allenai/Llama-3.1-Tulu-3-8B")
    llama = resolve_model("meta-llama/Llama-3.1-8B")
    assert tulu is not None and llama is not None and tulu.vocab_size == 128264
    assert tulu.param_count() - llama.param_count() == 2 * 8 * 4096
    # The RoPE-300k upload: Qwen2.5-Math-7B's weights, a 32768 context; the chain follows it.
    rope = resolve_model("open-r1/Qwen2.5-Math-7B-RoPE-300k")
    distill = resolve_model("open-r1/OpenR1-Distill-7B")
    assert rope is not None and distill is not None
    assert rope.max_position_embeddings == distill.max_position_embeddings == 32768
    assert any("rope_theta 300000" in note for note in rope.notes)
    # Dequantized gpt-oss: the same weights, stored in bf16 (no MXFP4 quantization).
    gpt = resolve_model("openai/gpt-oss-120b")
    dequantized = resolve_model("axolotl-ai-co/gpt-oss-120b-dequantized")
    assert gpt is not None and dequantized is not None
    assert gpt.quantization == "mxfp4" and dequantized.quantization is None
    assert dequantized.num_experts == gpt.num_experts == 128


def test_adapter_entry_names_its_base() -> None:
    lookup = lookup_model("alignment-handbook/zephyr-7b-sft-qlora")
    assert lookup.adapter_base == "mistralai/Mistral-7B-v0.1"
    assert any("PEFT adapter on mistralai/Mistral-7B-v0.1" in n for n in lookup.notes)


def test_lookup_order_catalog_then_derived_then_mirrors() -> None:
    # The catalog's own names first: an Instruct variant stays the catalog entry.
    assert lookup_model("Qwen/Qwen2.5-7B-Instruct").via == "catalog"
    # A mirror of a derived entry (a quantized re-upload) by its last path component.
    awq = lookup_model("TheBloke/zephyr-7B-beta-AWQ")
    assert awq.via == "derived" and awq.spec is not None
    assert awq.spec.hf_repo == "HuggingFaceH4/zephyr-7b-beta"
    # An alias of an entry (the old org name of Llama Guard 3).
    guard = resolve_model("meta-llama/Meta-Llama-Guard-3-8B")
    assert guard is not None and guard.hf_repo == "meta-llama/Llama-Guard-3-8B"
    assert lookup_model("nobody/zephyr-7b-delta").spec is None


def test_a_bad_entry_is_refused() -> None:
    row = {"repo": "x/y", "base": "mistralai/Mistral-7B-v0.1", "source": "test"}
    bad_key = {**row, "config": {"num_hidden_layers": 12}}  # Mistral-7B-v0.1: spec fields
    with pytest.raises(ValueError, match="cannot apply num_hidden_layers"):
        models_derived.derive(bad_key, catalog_model, catalog_config)
    bad_quant = {**row, "config": {"quantization_config": {"quant_method": "weird"}}}
    with pytest.raises(ValueError, match="quantization_config not understood"):
        models_derived.derive(bad_quant, catalog_model, catalog_config)
    missing = models_derived.derive(
        {**row, "base": "nobody/nothing"}, catalog_model, catalog_config
    )
    assert missing == "x/y derives from nobody/nothing, which is not in the model catalog"


def test_chains_end_in_the_catalog() -> None:
    checked = 0
    for row in ROWS:
        seen = [row["repo"]]
        base = row["base"]
        while (parent := models_derived.find_row(base, by_last_component=False)) is not None:
            assert parent["repo"] not in seen, f"cycle: {seen}"
            seen.append(parent["repo"])
            base = parent["base"]
        assert len(seen) <= models_derived.MAX_CHAIN
        checked += 1
    assert checked == len(ROWS)


# --- local copies ---------------------------------------------------------------------------
def test_a_missing_local_path_resolves_by_its_folder_name_as_an_assumption(tmp_path: Path) -> None:
    path = f"{tmp_path}/Meta-Llama-Guard-3-8B/"
    lookup = lookup_model(path)
    assert lookup.spec is not None and lookup.spec.hf_repo == "meta-llama/Llama-Guard-3-8B"
    said = f"{path} is Meta-Llama-Guard-3-8B (the catalog's meta-llama/Llama-Guard-3-8B)"
    assert lookup.assumed == said and lookup.assumption == f"assuming {said}"
    assert any("not on this machine" in note for note in lookup.notes)
    llama = lookup_model(f"{tmp_path}/models/Llama-3.1-70B")
    assert llama.spec is not None and llama.spec.name == "Llama-3.1-70B"
    assert llama.assumed == f"{tmp_path}/models/Llama-3.1-70B is meta-llama/Llama-3.1-70B"
    relative = lookup_model("./checkpoints/Qwen2.5-7B-Instruct", (tmp_path,))
    assert relative.spec is not None and relative.spec.name == "Qwen2.5-7B"
    assert relative.assumed == "./checkpoints/Qwen2.5-7B-Instruct is Qwen/Qwen2.5-7B"
    unknown = lookup_model(f"{tmp_path}/outputs/checkpoint-500")
    assert unknown.spec is None and unknown.assumed is None
    assert "no folder with a config.json" in (unknown.reason or "")


def test_a_folder_that_exists_is_read_not_assumed(tmp_path: Path) -> None:
    folder = tmp_path / "Llama-3.1-70B"  # named like a catalog model, holding another config
    folder.mkdir()
    smol = resolve_model("HuggingFaceTB/SmolLM2-135M")
    assert smol is not None
    (folder / "config.json").write_text(json.dumps(catalog_config(smol)))
    lookup = lookup_model(str(folder))
    assert lookup.via == "config.json" and lookup.assumed is None
    assert lookup.spec is not None and lookup.spec.param_count() == smol.param_count()
    (folder / "config.json").unlink()
    empty = lookup_model(str(folder))
    assert empty.spec is None and empty.assumed is None
    assert "folder without a config.json" in (empty.reason or "")


def test_a_local_adapter_folder_resolves_to_its_base(tmp_path: Path) -> None:
    adapter = tmp_path / "outputs" / "lora"
    adapter.mkdir(parents=True)
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "base_model_name_or_path": "Qwen/Qwen2.5-7B", "r": 16})
    )
    lookup = lookup_model("outputs/lora", (tmp_path,))
    assert lookup.spec is not None and lookup.spec.name == "Qwen2.5-7B"
    assert lookup.via == "config.json" and lookup.adapter_base == "Qwen/Qwen2.5-7B"
    assert lookup.assumed is None
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    broken = lookup_model("outputs/lora", (tmp_path,))
    assert broken.spec is None and "names no base_model_name_or_path" in (broken.reason or "")


# --- findings resting on an assumed model ---------------------------------------------------
FULL_70B = """\
model:
  name: {name}
  max_seq_len: 2048
method:
  kind: sft
peft:
  kind: full
  reason: new domain
precision: bf16
hardware:
  gpu: A100-80GB
  count: 1
"""


def _diagnostic(text: str, path: str, code: str):  # type: ignore[no-untyped-def]
    options = LintOptions(settings=Settings(), select=(code,))
    found = [d for d in lint_text(text, path, options).diagnostics if d.code == code]
    assert len(found) == 1, found
    return found[0]


def test_a_finding_on_an_assumed_model_is_a_warning_that_says_so(tmp_path: Path) -> None:
    hub = _diagnostic(FULL_70B.format(name="meta-llama/Llama-3.1-70B"), "a.tune.yaml", "TL402")
    assert hub.severity == "error" and "assuming" not in hub.message
    path = f"{tmp_path}/weights/Llama-3.1-70B"
    local = _diagnostic(FULL_70B.format(name=path), "a.tune.yaml", "TL402")
    assert local.severity == "warning"
    assert local.message.endswith(f"(assuming {path} is meta-llama/Llama-3.1-70B)")


AXOLOTL_FSDP = """\
base_model: {name}
adapter: lora
lora_r: 16
lora_alpha: 32
lora_target_linear: true
bf16: true
datasets:
  - path: data.jsonl
    type: alpaca
micro_batch_size: 1
fsdp:
  - full_shard
  - auto_wrap
fsdp_config:
  fsdp_transformer_layer_cls_to_wrap: LlamaDecoderLayer
"""


def test_a_rule_reading_the_architecture_names_the_assumption(tmp_path: Path) -> None:
    hub = _diagnostic(AXOLOTL_FSDP.format(name="Qwen/Qwen2.5-7B"), "axolotl.yaml", "TL519")
    assert hub.severity == "error" and "assuming" not in hub.message
    path = f"{tmp_path}/Qwen2.5-7B"
    local = _diagnostic(AXOLOTL_FSDP.format(name=path), "axolotl.yaml", "TL519")
    assert local.severity == "warning"
    assert local.message.endswith(f"(assuming {path} is Qwen/Qwen2.5-7B)")
