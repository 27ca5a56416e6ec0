"""Hover (key docs from the Plan schema, rule docs on findings) and completion."""

from __future__ import annotations

import pytest
from lsp_helpers import Doc, apply_lsp_edits, encoding
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = """\
model:
  name: Qwen/Qwen2.5-7B-Instruct
precision: fp16
hardware:
  gpu: A100-80GB
training:
  learning_rate: 2.0e-4
"""


async def hover_at(
    client: LanguageClient, doc: Doc, line: int, character: int
) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=line, character=character),
        )
    )


async def complete_at(
    client: LanguageClient, doc: Doc, line: int, character: int
) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=line, character=character),
        )
    )
    if result is None:
        return []
    return list(result.items if isinstance(result, types.CompletionList) else result)


async def test_hover_on_key_shows_schema_docs(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("h") / "run.tune.yaml", CONFIG).open()
    await doc.diagnostics()
    result = await hover_at(client, doc, 6, 5)  # learning_rate
    assert result is not None
    text = result.contents.value
    assert "training.learning_rate" in text
    assert "Peak learning rate" in text
    assert "Default: `0.0002`" in text
    assert result.range == types.Range(start=types.Position(6, 2), end=types.Position(6, 15))


async def test_hover_on_finding_shows_rule_docs_and_allowed_values(
    client: LanguageClient, tmp_path_factory
):
    doc = Doc(client, tmp_path_factory.mktemp("h") / "run.tune.yaml", CONFIG).open()
    await doc.diagnostics()
    result = await hover_at(client, doc, 2, 12)  # on `fp16`
    assert result is not None
    text = result.contents.value
    assert "TL101" in text and "What it checks" in text and "Fix safety" in text
    # ...and the key's own meaning below it, with the allowed values.
    assert "`bf16` · `fp16` · `fp32`" in text


async def test_hover_outside_keys_is_empty(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("h") / "run.tune.yaml", CONFIG + "\n\n").open()
    await doc.diagnostics()
    assert await hover_at(client, doc, 8, 0) is None


async def test_hover_in_dialect_file_names_the_plan_field(client: LanguageClient, tmp_path_factory):
    text = "base_model: meta-llama/Llama-3.1-8B\nadapter: lora\nfp16: true\nlearning_rate: 2e-4\n"
    doc = Doc(client, tmp_path_factory.mktemp("h") / "axolotl.yaml", text).open()
    await doc.diagnostics()
    result = await hover_at(client, doc, 3, 3)
    assert result is not None, "the axolotl key has no hover"
    assert "`learning_rate` → tunelint `training.learning_rate`" in result.contents.value


async def test_complete_keys_not_already_present(client: LanguageClient, tmp_path_factory):
    text = CONFIG.replace("hardware:\n  gpu: A100-80GB\n", "hardware:\n  gpu: A100-80GB\n  \n")
    doc = Doc(client, tmp_path_factory.mktemp("c") / "run.tune.yaml", text).open()
    items = await complete_at(client, doc, 5, 2)
    labels = {i.label for i in items}
    assert {"count", "distributed", "nodes"} <= labels
    assert "gpu" not in labels  # already there
    assert "learning_rate" not in labels  # another section's key
    count = next(i for i in items if i.label == "count")
    assert "GPUs per node" in count.documentation.value
    assert count.text_edit.new_text == "count: "


async def test_complete_top_level_sections(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("c") / "run.tune.yaml", CONFIG + "pe").open()
    items = await complete_at(client, doc, 7, 2)
    labels = {i.label for i in items}
    assert {"peft", "method", "intent", "data"} <= labels
    assert not labels & {"model", "precision", "hardware", "training"}
    peft = next(i for i in items if i.label == "peft")
    edited = apply_lsp_edits(doc.text, [peft.text_edit], encoding(client))
    assert edited.endswith("\npeft:")


async def test_complete_enum_values(client: LanguageClient, tmp_path_factory):
    doc = Doc(
        client,
        tmp_path_factory.mktemp("c") / "run.tune.yaml",
        CONFIG.replace("precision: fp16", "precision: "),
    ).open()
    items = await complete_at(client, doc, 2, 11)
    assert [i.label for i in items] == ["bf16", "fp16", "fp32"]
    assert all(i.documentation and "precision" in i.documentation.value for i in items)


async def test_complete_gpu_names(client: LanguageClient, tmp_path_factory):
    text = CONFIG.replace("gpu: A100-80GB", "gpu: RTX 40")
    doc = Doc(client, tmp_path_factory.mktemp("c") / "run.tune.yaml", text).open()
    items = await complete_at(client, doc, 4, 13)
    labels = [i.label for i in items]
    assert "auto" in labels and "A100-80GB" in labels
    rtx = next(i for i in items if i.label.startswith("RTX 4090"))
    assert "GB" in rtx.detail and "bf16" in rtx.documentation.value
    # The edit replaces what was typed, spaces included.
    edited = apply_lsp_edits(doc.text, [rtx.text_edit], encoding(client))
    assert f"  gpu: {rtx.label}\n" in edited


async def test_complete_model_names(client: LanguageClient, tmp_path_factory):
    text = CONFIG.replace("name: Qwen/Qwen2.5-7B-Instruct", "name: Qw")
    doc = Doc(client, tmp_path_factory.mktemp("c") / "run.tune.yaml", text).open()
    items = await complete_at(client, doc, 1, 10)
    try:
        from tunelint.knowledge.models import model_names
    except ImportError:
        assert items == []
        return
    assert {i.label for i in items} == set(model_names())
    assert any(i.label.startswith("Qwen/") for i in items)


async def test_no_completion_in_unrelated_yaml(client: LanguageClient, tmp_path_factory):
    doc = Doc(
        client,
        tmp_path_factory.mktemp("c") / "deployment.yaml",
        "apiVersion: v1\nkind: Pod\nspec:\n  \n",
    ).open()
    assert await complete_at(client, doc, 3, 2) == []
