"""Completion and hover in dialect files from the framework option tables, over stdio with
a real LSP client: keys at the cursor's mapping level (type, default, docs), the allowed
values of a key, and the table's docs on hover; a planted typo is published as TL920."""

from __future__ import annotations

import pytest
from lsp_helpers import Doc
from lsprotocol import types
from pytest_lsp import LanguageClient
from test_lsp_hover_completion import complete_at, hover_at

pytestmark = pytest.mark.asyncio(loop_scope="module")

AXOLOTL = """\
base_model: NousResearch/Meta-Llama-3-8B
adapter: lora
lora_r: 16
rl: dpo
lr_scheduler: cosine

datasets:
  - path: mhenrichsen/alpaca_2k_test
    type: alpaca
<indent>
gradient_acumulation_steps: 4
bf16: true
""".replace("<indent>", "    ")  # the cursor types inside the entry


async def _hover(client: LanguageClient, doc: Doc, line: int, character: int) -> str | None:
    result = await hover_at(client, doc, line, character)
    return None if result is None else result.contents.value


def _doc_text(item: types.CompletionItem) -> str:
    doc = item.documentation
    return doc.value if isinstance(doc, types.MarkupContent) else str(doc or "")


async def test_axolotl_keys_values_and_hover(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("ax") / "lora.yml", AXOLOTL).open()
    diagnostics = await doc.diagnostics()
    typo = [d for d in diagnostics if d.code == "TL920"]
    assert [(d.range.start.line, d.range.start.character) for d in typo] == [(10, 0)]
    assert "did you mean `gradient_accumulation_steps`?" in typo[0].message

    # Top level, on the blank line: axolotl's config keys, not those already written.
    items = {i.label: i for i in await complete_at(client, doc, 5, 0)}
    assert "gradient_accumulation_steps" in items and "micro_batch_size" in items
    assert "adapter" not in items and "base_model" not in items
    assert "path" not in items  # a `datasets` entry's key, not a top-level one
    wanted = items["gradient_accumulation_steps"]
    assert wanted.detail == "int | None"
    assert "Default: `1`" in _doc_text(wanted)
    assert wanted.text_edit is not None and wanted.text_edit.new_text.startswith(
        "gradient_accumulation_steps: "
    )

    # Inside a `datasets` entry: that section's keys.
    inside = {i.label for i in await complete_at(client, doc, 9, 4)}
    assert {"split", "data_files"} <= inside and "base_model" not in inside

    # A key's value: its allowed values (an enum), or the flags beside a literal.
    assert {"dpo", "grpo", "kto", "orpo"} <= {i.label for i in await complete_at(client, doc, 3, 4)}
    assert {"auto", "true", "false"} <= {i.label for i in await complete_at(client, doc, 11, 6)}

    # Hover on a key the Plan has no field for: the framework's docs and the version used.
    text = await _hover(client, doc, 8, 5)  # `type` of the dataset entry
    assert text is not None and "**type**" in text and "alpaca" in text
    assert "axolotl 0.21.0 (assumed" in text


DEEPSPEED = """\
{
  "train_micro_batch_size_per_gpu": "auto",
  "zero_optimization": {"stage": 3, "overlap_comm": true}
}
"""


async def test_hover_in_a_deepspeed_json(client: LanguageClient, tmp_path_factory):
    doc = Doc(client, tmp_path_factory.mktemp("ds") / "ds_z3.json", DEEPSPEED).open()
    await doc.diagnostics()
    text = await _hover(client, doc, 2, 40)  # overlap_comm, inside zero_optimization
    assert text is not None and "**overlap_comm**" in text and "deepspeed" in text


async def test_yaml_key_half_typed(client: LanguageClient, tmp_path_factory):
    """`gradient_acc` with no colon yet leaves the YAML unparseable: completion reads the
    dialect of the file's last lint that parsed, and sends the keys the word can become."""
    doc = Doc(client, tmp_path_factory.mktemp("axh") / "lora.yml", AXOLOTL).open()
    await doc.diagnostics()
    doc.replace(AXOLOTL.replace("gradient_acumulation_steps: 4", "gradient_acc"))
    await hover_at(client, doc, 0, 0)  # lints the unparseable text first, in every client
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc.uri),
            position=types.Position(line=10, character=12),
        )
    )
    assert isinstance(result, types.CompletionList) and result.is_incomplete
    items = {i.label: i for i in result.items}
    assert "gradient_accumulation_steps" in items and "micro_batch_size" not in items
    edit = items["gradient_accumulation_steps"].text_edit
    assert edit is not None and edit.new_text == "gradient_accumulation_steps: "
    assert (edit.range.start.line, edit.range.start.character) == (10, 0)
